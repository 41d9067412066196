//! `weft-gen`: generate connectors from OpenAPI documents, regenerate the GHL
//! connectors, and report their coverage.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "weft-gen", version, about = "Generate weft connectors from OpenAPI documents")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Turn OpenAPI documents into a connector crate that builds to a component.
    Openapi(weft_gen::cli::OpenapiArgs),
    /// Regenerate the GHL connectors, simulator descriptions and coverage data (or check them).
    Ghl {
        /// The official specs [default: specs/ghl/apps in the workspace].
        #[arg(long)]
        specs: Option<PathBuf>,
        /// Only report files that differ from what the specs and overlay produce.
        #[arg(long)]
        check: bool,
    },
    /// Print how many of the expected and of all spec operations are available, and why the rest are not.
    Coverage,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Openapi(args) => {
            print!("{}", weft_gen::cli::run_openapi(&args).map_err(|e| e.to_string())?);
            Ok(())
        }
        Command::Ghl { specs, check } => {
            let root = root();
            let specs = specs.unwrap_or_else(|| weft_gen::ghl::default_specs_dir(&root));
            let drifted = weft_gen::ghl::check_or_bless(&root, &specs, !check).map_err(|e| e.to_string())?;
            if drifted.is_empty() {
                println!(
                    "{}",
                    if check { "the GHL connectors are up to date" } else { "regenerated the GHL connectors" }
                );
                return Ok(());
            }
            let list: Vec<String> = drifted.iter().map(|p| format!("  {}", p.display())).collect();
            Err(format!("these files differ from what the specs produce (run `weft-gen ghl`):\n{}", list.join("\n")))
        }
        Command::Coverage => {
            print!("{}", weft_gen::ghl::report(&root()).map_err(|e| e.to_string())?);
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
