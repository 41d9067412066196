//! GHL, the generator's first user: the official v2 specs, grouped by
//! service into connectors, with our overlay, and the files every run writes
//! (connector crates, the simulator's API descriptions, the coverage data).
//!
//! Its configuration lives in `connectors/ghl/`: `groups.toml` (which specs
//! make which connector), `overlay.toml` (fixes, labels, help, dropdowns) and
//! `catalog.toml` (the 124 operations the integration page promises).

use crate::emit::{CrateStyle, crate_files, drifted, write_files};
use crate::error::GenError;
use crate::generate::{Coverage, generate, pretty};
use crate::overlay::Overlay;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where GHL's generator configuration lives, relative to the workspace root.
pub const CONFIG_DIR: &str = "connectors/ghl";
/// Where the simulator's API descriptions go, relative to the workspace root.
pub const SIM_DIR: &str = "tests/ghl-sim/api";
/// The coverage data, relative to the workspace root.
pub const COVERAGE_FILE: &str = "connectors/ghl/coverage.json";

/// One connector made from some specs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// The connector's id; also names the simulator's description file.
    pub id: String,
    /// The connector's display name, for its manifest.
    pub name: String,
    /// What the connector does, for its manifest.
    pub description: String,
    /// Spec file names in the specs directory.
    pub specs: Vec<String>,
    /// Output directory, relative to the workspace root.
    pub dir: String,
    /// `crate`: a whole connector crate; `fragment`: only the manifest and
    /// table, for a hand-written connector to embed.
    #[serde(default = "crate_kind")]
    pub kind: String,
    /// Auth methods replacing the overlay's (agency connectors need company tokens).
    #[serde(default)]
    pub auth: Vec<Value>,
    /// The manifest's connection test.
    #[serde(default)]
    pub connection_test: Option<Value>,
    /// The request budget, when not the overlay's (agency budgets count per company).
    #[serde(default)]
    pub rate_limit: Option<Value>,
    /// Instant triggers from GHL's webhook events.
    #[serde(default)]
    pub webhook: Vec<crate::webhooks::WebhookTrigger>,
}

fn crate_kind() -> String {
    "crate".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Groups {
    group: Vec<Group>,
}

/// One operation the integration page promises.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    /// Its name on the page.
    pub name: String,
    /// The page's section.
    pub section: String,
    /// The spec operation that provides it (`<spec>#<operationId>`).
    pub operation: Option<String>,
    /// Why no spec operation provides it.
    pub missing: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Catalog {
    expected: Vec<Expected>,
}

fn read_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, GenError> {
    let text = std::fs::read_to_string(path).map_err(|source| GenError::Read { path: path.to_owned(), source })?;
    toml::from_str(&text).map_err(|e| GenError::Overlay { path: path.to_owned(), message: e.to_string() })
}

/// The groups, in order.
pub fn groups(root: &Path) -> Result<Vec<Group>, GenError> {
    Ok(read_toml::<Groups>(&root.join(CONFIG_DIR).join("groups.toml"))?.group)
}

/// The catalog of expected operations.
pub fn catalog(root: &Path) -> Result<Vec<Expected>, GenError> {
    Ok(read_toml::<Catalog>(&root.join(CONFIG_DIR).join("catalog.toml"))?.expected)
}

/// The official specs vendored in the repository: `specs/ghl/apps` (see `specs/ghl/SOURCE.md`).
pub fn default_specs_dir(root: &Path) -> PathBuf {
    root.join("specs/ghl/apps")
}

/// One official spec file as the generator reads it: with the overlay's
/// documented patches (`[[patch]]`, each with its reason) applied, so a check
/// against "the spec" holds it to exactly the deviations we wrote down.
pub fn patched_spec(root: &Path, file: &str) -> Result<serde_json::Value, GenError> {
    let overlay = Overlay::load(&root.join(CONFIG_DIR).join("overlay.toml"))?;
    let path = default_specs_dir(root).join(file);
    let mut docs = crate::docs::Docs::new(overlay.patch.clone());
    let canonical = docs.load(&path)?;
    Ok(docs.doc(&canonical).clone())
}

/// Every file a GHL run produces, by path relative to the workspace root.
pub fn outputs(root: &Path, specs_dir: &Path) -> Result<Vec<(PathBuf, String)>, GenError> {
    let base = Overlay::load(&root.join(CONFIG_DIR).join("overlay.toml"))?;
    let mut files = Vec::new();
    let mut coverage: Vec<Coverage> = Vec::new();
    for group in groups(root)? {
        let mut overlay = base.clone();
        overlay.connector.id = Some(group.id.clone());
        overlay.connector.name = Some(group.name.clone());
        overlay.connector.description = Some(group.description.clone());
        if !group.auth.is_empty() {
            overlay.connector.auth = group.auth.clone();
        }
        overlay.connector.connection_test = group.connection_test.clone();
        if group.rate_limit.is_some() {
            overlay.connector.rate_limit = group.rate_limit.clone();
        }
        let specs: Vec<PathBuf> = group.specs.iter().map(|s| specs_dir.join(s)).collect();
        let mut generated = generate(&specs, &overlay)?;
        for hook in &group.webhook {
            let (trigger, spec) =
                crate::webhooks::instant_trigger(root, hook, &generated.table, &generated.manifest.actions)?;
            generated.manifest.triggers.push(trigger);
            generated.table.instant.push(spec);
        }
        let dir = PathBuf::from(&group.dir);
        match group.kind.as_str() {
            "fragment" => {
                files.push((dir.join("manifest.json"), pretty(&generated.manifest)?));
                files.push((dir.join("table.json"), pretty(&generated.table)?));
            }
            _ => {
                for (relative, text) in crate_files(&generated, &group.specs, &CrateStyle::Workspace)? {
                    files.push((dir.join(relative), text));
                }
            }
        }
        files.push((PathBuf::from(SIM_DIR).join(format!("{}.json", group.id)), pretty(&generated.described)?));
        coverage.extend(generated.coverage);
    }
    files.push((PathBuf::from(COVERAGE_FILE), pretty(&coverage)?));
    Ok(files)
}

/// Writes every output (`BLESS=1`), or lists those that differ from what is checked in.
pub fn check_or_bless(root: &Path, specs_dir: &Path, bless: bool) -> Result<Vec<PathBuf>, GenError> {
    let files = outputs(root, specs_dir)?;
    if bless {
        write_files(root, &files)?;
        return Ok(Vec::new());
    }
    Ok(drifted(root, &files))
}

/// The coverage data as checked in.
pub fn coverage(root: &Path) -> Result<Vec<Coverage>, GenError> {
    let path = root.join(COVERAGE_FILE);
    let text = std::fs::read_to_string(&path).map_err(|source| GenError::Read { path: path.clone(), source })?;
    serde_json::from_str(&text).map_err(|source| GenError::Json { path, source })
}

/// The coverage figures and what is missing, as printed by `weft-gen coverage`.
pub struct Report {
    /// Operations the catalog lists.
    pub expected_total: usize,
    /// Catalog operations whose spec operation is available as an action.
    pub expected_available: usize,
    /// Operations in the spec documents.
    pub spec_total: usize,
    /// Spec operations available as an action.
    pub spec_available: usize,
    /// `name (section): reason` for each expected operation not available.
    pub expected_missing: Vec<String>,
    /// `spec#operationId: reason` for each spec operation not available.
    pub spec_missing: Vec<String>,
}

/// Computes the report from the checked-in coverage data and catalog.
pub fn report(root: &Path) -> Result<Report, GenError> {
    let coverage = coverage(root)?;
    let by_op: BTreeMap<String, &Coverage> =
        coverage.iter().map(|c| (format!("{}#{}", c.spec, c.operation_id), c)).collect();
    let catalog = catalog(root)?;
    let mut expected_missing = Vec::new();
    for e in &catalog {
        let reason = match (&e.operation, &e.missing) {
            (Some(op), _) => match by_op.get(op) {
                Some(c) if c.action.is_some() => continue,
                Some(c) => format!("{op} is unavailable: {}", c.reason.as_deref().unwrap_or("no reason recorded")),
                None => format!("{op} is in no spec"),
            },
            (None, Some(why)) => why.clone(),
            (None, None) => "the catalog names no operation".into(),
        };
        expected_missing.push(format!("{} ({}): {reason}", e.name, e.section));
    }
    let spec_missing: Vec<String> = coverage
        .iter()
        .filter(|c| c.action.is_none())
        .map(|c| {
            format!("{}#{} ({} {}): {}", c.spec, c.operation_id, c.method, c.path, c.reason.as_deref().unwrap_or(""))
        })
        .collect();
    Ok(Report {
        expected_total: catalog.len(),
        expected_available: catalog.len() - expected_missing.len(),
        spec_total: coverage.len(),
        spec_available: coverage.len() - spec_missing.len(),
        expected_missing,
        spec_missing,
    })
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pct = |a: usize, t: usize| if t == 0 { 0.0 } else { 100.0 * a as f64 / t as f64 };
        writeln!(
            f,
            "expected operations (integration page): {}/{} available ({:.1}%)",
            self.expected_available,
            self.expected_total,
            pct(self.expected_available, self.expected_total)
        )?;
        writeln!(
            f,
            "spec operations (official v2 specs):    {}/{} available ({:.1}%)",
            self.spec_available,
            self.spec_total,
            pct(self.spec_available, self.spec_total)
        )?;
        writeln!(f, "\nexpected but not available ({}):", self.expected_missing.len())?;
        for m in &self.expected_missing {
            writeln!(f, "  - {m}")?;
        }
        writeln!(f, "\nspec operations not available ({}):", self.spec_missing.len())?;
        for m in &self.spec_missing {
            writeln!(f, "  - {m}")?;
        }
        Ok(())
    }
}
