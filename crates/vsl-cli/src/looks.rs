//! `vsl looks list|import|export|delete`: the saved looks in `<config>/looks`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use vsl_core::look::store;
use vsl_core::slides::SlidesConfig;

#[derive(Subcommand)]
pub enum LooksCommand {
    /// Built-in looks, slides.toml themes and saved looks (a saved look that does not load is
    /// listed with its error).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Check a look (a folder with look.toml, or the file) and save it with copies of its
    /// fonts and images, so it survives moving them.
    Import {
        source: PathBuf,
        /// The saved look's name (default: from the look's `name`).
        #[arg(long)]
        name: Option<String>,
        /// Replace a saved look of that name.
        #[arg(long)]
        force: bool,
    },
    /// Write a look as a folder (look.toml and its assets) into DEST.
    Export { name: String, dest: PathBuf },
    /// Delete a saved look.
    Delete { name: String },
}

pub fn run(command: LooksCommand, dirs: &vsl_core::paths::Dirs) -> anyhow::Result<ExitCode> {
    let config = SlidesConfig::load_or_default(&dirs.slides_config_file())?;
    match command {
        LooksCommand::List { json } => {
            let looks = store::list(dirs, &config);
            if json {
                println!("{}", serde_json::to_string_pretty(&looks)?);
                return Ok(ExitCode::SUCCESS);
            }
            for look in &looks {
                let note = match &look.error {
                    Some(error) => format!("  (does not load: {error})"),
                    None if look.name != look.id => format!("  \"{}\"", look.name),
                    None => String::new(),
                };
                println!("{:<24} {:<8}{note}", look.id, look.source);
            }
        }
        LooksCommand::Import {
            source,
            name,
            force,
        } => {
            let id = store::import(dirs, &source, name.as_deref(), force)?;
            println!(
                "saved look '{id}' in {}",
                dirs.looks_dir().join(&id).display()
            );
        }
        LooksCommand::Export { name, dest } => {
            let out = store::export(dirs, &config, &name, &dest)?;
            println!("{}", out.display());
        }
        LooksCommand::Delete { name } => {
            store::delete(dirs, &name)?;
            println!("deleted look '{name}'");
        }
    }
    Ok(ExitCode::SUCCESS)
}
