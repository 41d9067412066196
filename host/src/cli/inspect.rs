//! `weft inspect`.

use std::path::Path;
use weft::{HostConfig, Runtime};

pub async fn run(component: &Path) -> Result<(), String> {
    let runtime = Runtime::new(HostConfig::default()).map_err(|e| format!("{e:#}"))?;
    let connector = runtime.load(component).await.map_err(|e| e.to_string())?;
    let text = serde_json::to_string_pretty(&connector.manifest).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}
