//! Where VSL Studio keeps its files, and every environment variable it reads.
//!
//! [`Dirs`] is built once per process (in the CLI's `main`, in the app's builder) and
//! passed down as `&Dirs`: no core function looks a directory up on its own, so a test
//! that builds its own `Dirs` can never touch a person's real queue, glossary or settings.
//!
//! Each directory follows the platform convention (XDG on Linux) through the `directories`
//! crate and can be overridden by one of the variables in [`ENV_VARS`], the only list of
//! them (README's table is checked against it by a test).

use std::path::{Path, PathBuf};

use directories::ProjectDirs;

/// An environment variable VSL Studio reads, and what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvVar {
    pub name: &'static str,
    /// What it overrides, as README's table says it.
    pub purpose: &'static str,
}

/// The models directory (`<data dir>/models` by default).
pub const VSL_MODELS_DIR: &str = "VSL_MODELS_DIR";
/// Persistent data: the job queue, the watch state, the models.
pub const VSL_DATA_DIR: &str = "VSL_DATA_DIR";
/// Disposable caches: transcripts and rendered slides.
pub const VSL_CACHE_DIR: &str = "VSL_CACHE_DIR";
/// Settings: `settings.toml`, `glossary.toml`, `slides.toml`.
pub const VSL_CONFIG_DIR: &str = "VSL_CONFIG_DIR";
/// Where model downloads come from (tests point it at a loopback server).
pub const VSL_MODEL_BASE_URL: &str = "VSL_MODEL_BASE_URL";
/// The test data `make setup` makes; `vsl bench pipeline` takes its JFK clip by default.
pub const VSL_TEST_DATA: &str = "VSL_TEST_DATA";

/// Every variable the library, the CLI and the app read at run time. Test and build
/// scripts have their own (`VSL_UPDATE_GOLDEN`, `VSL_E2E_MODEL`, ...), listed in
/// CONTRIBUTING; none of those changes what a shipped binary does.
pub const ENV_VARS: &[EnvVar] = &[
    EnvVar {
        name: VSL_MODELS_DIR,
        purpose: "installed models",
    },
    EnvVar {
        name: VSL_DATA_DIR,
        purpose: "data: job queue, watch state (and models, unless VSL_MODELS_DIR)",
    },
    EnvVar {
        name: VSL_CACHE_DIR,
        purpose: "cache: transcripts/, slides/",
    },
    EnvVar {
        name: VSL_CONFIG_DIR,
        purpose: "settings: settings.toml, glossary.toml, slides.toml",
    },
    EnvVar {
        name: VSL_MODEL_BASE_URL,
        purpose: "model download server",
    },
    EnvVar {
        name: VSL_TEST_DATA,
        purpose: "test data: the JFK clip `vsl bench pipeline` uses by default",
    },
];

/// The directories one process works in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dirs {
    /// Persistent application data (job queue, watch state).
    pub data: PathBuf,
    /// Disposable caches (transcripts, rendered slides).
    pub cache: PathBuf,
    /// User settings (`settings.toml`, `glossary.toml`, `slides.toml`).
    pub config: PathBuf,
    /// Installed Whisper models.
    pub models: PathBuf,
}

impl Dirs {
    /// The platform directories, each overridden by its `VSL_*` variable when set.
    pub fn from_env() -> Dirs {
        let project = ProjectDirs::from("studio", "VSL Studio", "vsl-studio");
        let fallback = std::env::temp_dir().join("vsl-studio");
        let pick = |var: &str, platform: Option<&Path>, fallback: PathBuf| {
            from_env(var)
                .or_else(|| platform.map(Path::to_path_buf))
                .unwrap_or(fallback)
        };
        let data = pick(
            VSL_DATA_DIR,
            project.as_ref().map(ProjectDirs::data_dir),
            fallback.join("data"),
        );
        let cache = pick(
            VSL_CACHE_DIR,
            project.as_ref().map(ProjectDirs::cache_dir),
            fallback.join("cache"),
        );
        let config = pick(
            VSL_CONFIG_DIR,
            project.as_ref().map(ProjectDirs::config_dir),
            fallback.join("config"),
        );
        let models = from_env(VSL_MODELS_DIR).unwrap_or_else(|| data.join("models"));
        Dirs {
            data,
            cache,
            config,
            models,
        }
    }

    /// Everything under one folder (`root/data`, `root/cache`, ...): what tests use.
    pub fn under(root: &Path) -> Dirs {
        Dirs {
            data: root.join("data"),
            cache: root.join("cache"),
            config: root.join("config"),
            models: root.join("data").join("models"),
        }
    }

    /// The same directories with another models folder (tests share one converted model).
    #[must_use]
    pub fn with_models(mut self, models: PathBuf) -> Dirs {
        self.models = models;
        self
    }

    /// `<config>/settings.toml`, the app's settings.
    pub fn settings_file(&self) -> PathBuf {
        self.config.join("settings.toml")
    }

    /// `<config>/glossary.toml`, the global glossary.
    pub fn glossary_file(&self) -> PathBuf {
        self.config.join(crate::correct::GLOSSARY_FILE)
    }

    /// `<config>/slides.toml`, presets and custom themes.
    pub fn slides_config_file(&self) -> PathBuf {
        self.config.join(crate::slides::CONFIG_FILE)
    }

    /// `<config>/looks`, one folder per saved look (`NAME/look.toml` and its assets).
    pub fn looks_dir(&self) -> PathBuf {
        self.config.join("looks")
    }

    /// `<data>/watch/state.json`, what watched folders have already processed.
    pub fn watch_state_file(&self) -> PathBuf {
        self.data.join("watch").join("state.json")
    }

    /// `<data>/jobs`, the app's queue and each job's working folder.
    pub fn jobs_dir(&self) -> PathBuf {
        self.data.join("jobs")
    }

    /// `<cache>/slides`, the rendered-slide cache.
    pub fn slide_cache_dir(&self) -> PathBuf {
        self.cache.join("slides")
    }
}

/// A variable's value as a path, ignoring an empty value.
pub fn from_env(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirs_under_a_root_stay_under_it() {
        let dirs = Dirs::under(Path::new("/tmp/x"));
        for path in [
            &dirs.data,
            &dirs.cache,
            &dirs.config,
            &dirs.models,
            &dirs.settings_file(),
            &dirs.glossary_file(),
            &dirs.watch_state_file(),
        ] {
            assert!(path.starts_with("/tmp/x"), "{}", path.display());
        }
        let moved = dirs.with_models(PathBuf::from("/models"));
        assert_eq!(moved.models, Path::new("/models"));
    }

    #[test]
    fn every_variable_is_named_once() {
        let mut names: Vec<_> = ENV_VARS.iter().map(|var| var.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ENV_VARS.len());
        assert!(names.iter().all(|name| name.starts_with("VSL_")));
    }
}
