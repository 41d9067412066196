//! `weft keys`: the master key that seals credentials at rest.

use crate::args::Global;
use clap::Subcommand;

#[derive(Subcommand)]
pub(crate) enum KeysCommand {
    /// Seal every stored credential under a new master key, then forget the old one.
    Rotate,
}

pub(crate) async fn run(g: &Global, command: KeysCommand) -> Result<(), String> {
    match command {
        KeysCommand::Rotate => {
            let host = weft::Host::builder(g.host_config()?).exclusive().open().await.map_err(|e| e.to_string())?;
            let (count, key) = host.connections().rotate_keys().await.map_err(|e| e.to_string())?;
            println!("re-sealed {count} secret(s) (connections and webhook signing secrets) under key {key}");
            Ok(())
        }
    }
}
