//! The options `vsl slides` and `vsl run` share: how slides look and which glossary
//! corrects them, resolved against `slides.toml` and the global glossary.

use std::path::PathBuf;

use clap::Args;
use vsl_core::correct::Glossary;
use vsl_core::render::{RenderSize, SlideCache, SlideStyle};
use vsl_core::slides::{Aspect, SlidePreset, SlidesConfig};

#[derive(Args)]
pub struct LookArgs {
    /// Slide shape: 16:9, 1:1 or 9:16.
    #[arg(long, default_value = "16:9")]
    preset: String,
    /// classic, dark, or a custom theme from slides.toml.
    #[arg(long, default_value = "classic")]
    theme: String,
    /// The job's glossary (TOML); applied over the global one in the config folder.
    #[arg(long)]
    glossary: Option<PathBuf>,
    /// Ignore the global glossary.
    #[arg(long)]
    no_global_glossary: bool,
    /// Image (and video) size, e.g. 1280x720 (default: full HD in the preset's shape).
    #[arg(long)]
    size: Option<String>,
    /// Presets and custom themes (default: slides.toml in the config folder, if present).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Cache folder for rendered slides (default: the platform cache folder).
    #[arg(long)]
    cache_dir: Option<PathBuf>,
}

/// [`LookArgs`] resolved: everything the segmenter and renderer take.
pub struct Look {
    pub aspect: Aspect,
    pub preset: SlidePreset,
    pub style: SlideStyle,
    pub glossary: Glossary,
    pub cache: SlideCache,
}

impl LookArgs {
    /// Reads `slides.toml` and the glossaries; errors name the file or value at fault.
    pub fn resolve(&self) -> anyhow::Result<Look> {
        let config = match &self.config {
            Some(path) => SlidesConfig::load(path)?,
            None => SlidesConfig::load_default()?,
        };
        let aspect = Aspect::parse(&self.preset)?;
        let preset = config.preset(aspect);
        let theme = config.theme(&self.theme)?;
        let size = match &self.size {
            Some(size) => RenderSize::parse(size)?,
            None => aspect.default_size(),
        };
        let global = (!self.no_global_glossary).then(Glossary::global_path);
        let glossary = Glossary::load_layers(global.as_deref(), self.glossary.as_deref())?;
        Ok(Look {
            aspect,
            style: SlideStyle {
                theme,
                size,
                max_lines: preset.max_lines,
            },
            preset,
            glossary,
            cache: self
                .cache_dir
                .clone()
                .map_or_else(SlideCache::open_default, SlideCache::at),
        })
    }
}
