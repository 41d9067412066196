//! `weft new`: a connector project that builds to a component and passes
//! `weft check` as it stands, in Rust (on the weft SDK) or in Python (with
//! componentize-py), or generated from an OpenAPI document with an overlay
//! to edit. The templates are `host/cli/templates/`; the SDK, the WIT and
//! the generator's runtime come from the weft checkout this binary was built
//! from (or `--weft-source`).

use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Lang {
    Rust,
    Python,
}

#[derive(Args)]
pub(crate) struct NewArgs {
    /// The connector's id, lowercase kebab-case (also the project's directory name).
    name: String,
    /// The language of the connector.
    #[arg(long, value_enum, default_value = "rust")]
    lang: Lang,
    /// Start from this OpenAPI document (JSON) instead: `weft gen openapi` output with an overlay to edit (Rust only).
    #[arg(long, value_name = "SPEC")]
    from_openapi: Option<PathBuf>,
    /// Where to create the project [default: ./NAME].
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The weft checkout whose SDK and WIT the project uses [default: the one this binary was built from].
    #[arg(long, env = "WEFT_SOURCE")]
    weft_source: Option<PathBuf>,
}

const RUST_CARGO: &str = include_str!("../templates/rust/Cargo.toml.tmpl");
const RUST_LIB: &str = include_str!("../templates/rust/src/lib.rs");
/// One manifest for both languages: the same connector, the same checks.
const MANIFEST: &str = include_str!("../templates/manifest.json");
const PYTHON_APP: &str = include_str!("../templates/python/app.py");
const PYTHON_BUILD: &str = include_str!("../templates/python/build.sh");
/// The Python SDK and the componentize-py pin, copied in whole: a Python project carries its SDK.
const PYTHON_SDK: &str = include_str!("../../../sdk/python/weft_connector.py");
const PYTHON_REQUIREMENTS: &str = include_str!("../../../sdk/python/requirements.txt");
const README: &str = include_str!("../templates/README.md.tmpl");

fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// `my-tags` → `My tags`.
fn title(name: &str) -> String {
    let spaced = name.replace('-', " ");
    let mut chars = spaced.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    vars.iter().fold(template.to_string(), |text, (k, v)| text.replace(&format!("{{{{{k}}}}}"), v))
}

fn write(dir: &Path, relative: &str, text: &str) -> Result<(), String> {
    let path = dir.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Copies the directory `from` into `to`, file by file.
fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    for entry in std::fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(|e| format!("cannot copy {}: {e}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// The weft checkout: the flag, else the one this binary was built from.
fn weft_source(flag: Option<&Path>) -> Result<PathBuf, String> {
    let root = flag.map(Path::to_path_buf).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."));
    let root = root
        .canonicalize()
        .map_err(|e| format!("the weft checkout {} is not there ({e}); pass --weft-source", root.display()))?;
    if !root.join("sdk/Cargo.toml").is_file() || !root.join("wit/world.wit").is_file() {
        return Err(format!("{} is not a weft checkout (no sdk/ and wit/); pass --weft-source", root.display()));
    }
    Ok(root)
}

pub(crate) fn run(args: &NewArgs) -> Result<(), String> {
    if !is_kebab(&args.name) {
        return Err(format!(
            "`{}` cannot be a connector id: use lowercase letters, digits and dashes, starting with a letter (e.g. `acme-crm`)",
            args.name
        ));
    }
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from(&args.name));
    if dir.read_dir().is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(format!("{} exists and is not empty; pick another --dir or name", dir.display()));
    }
    let source = weft_source(args.weft_source.as_deref())?;
    let title = title(&args.name);
    let sdk = source.join("sdk").display().to_string();
    let (lang, build, wasm) = match args.lang {
        Lang::Rust => (
            "Rust",
            "cargo build --target wasm32-wasip2 --profile component".to_string(),
            format!("target/wasm32-wasip2/component/{}.wasm", args.name.replace('-', "_")),
        ),
        Lang::Python => ("Python", "./build.sh connector.wasm".to_string(), "connector.wasm".to_string()),
    };
    let vars = [("name", args.name.as_str()), ("title", title.as_str()), ("sdk", sdk.as_str())];
    match (args.lang, &args.from_openapi) {
        (Lang::Rust, None) => {
            write(&dir, "Cargo.toml", &fill(RUST_CARGO, &vars))?;
            write(&dir, "src/lib.rs", &fill(RUST_LIB, &vars))?;
            write(&dir, "manifest.json", &fill(MANIFEST, &vars))?;
            // The repository's lock file pins what the SDK was tested with.
            if let Ok(lock) = std::fs::read_to_string(source.join("Cargo.lock")) {
                write(&dir, "Cargo.lock", &lock)?;
            }
        }
        (Lang::Python, None) => {
            write(&dir, "app.py", &fill(PYTHON_APP, &vars))?;
            write(&dir, "manifest.json", &fill(MANIFEST, &vars))?;
            write(&dir, "weft_connector.py", PYTHON_SDK)?;
            write(&dir, "build.sh", PYTHON_BUILD)?;
            write(&dir, "requirements.txt", PYTHON_REQUIREMENTS)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let _ = std::fs::set_permissions(dir.join("build.sh"), std::fs::Permissions::from_mode(0o755));
            }
            copy_tree(&source.join("wit"), &dir.join("wit"))?;
        }
        (Lang::Rust, Some(spec)) => return from_openapi(&args.name, &title, spec, &dir, &source),
        (Lang::Python, Some(_)) => {
            return Err("--from-openapi makes a Rust connector (the generated table runs on the Rust runtime); drop --lang python".into());
        }
    }
    write(&dir, ".gitignore", "target/\n*.wasm\n.fixtures/\n")?;
    let readme = fill(
        README,
        &[("name", args.name.as_str()), ("title", title.as_str()), ("lang", lang), ("build", &build), ("wasm", &wasm)],
    );
    write(&dir, "README.md", &readme)?;
    println!("created {} ({lang}); next:\n  cd {}\n  {build}\n  weft check {wasm}", dir.display(), dir.display());
    Ok(())
}

/// `weft gen openapi` into `dir`, with an overlay naming the connector to edit.
fn from_openapi(name: &str, title: &str, spec: &Path, dir: &Path, source: &Path) -> Result<(), String> {
    // The document stays where it is: its `$ref`s to other files resolve next to it.
    let spec = spec.canonicalize().map_err(|e| format!("cannot read {}: {e}", spec.display()))?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let shown = spec.display().to_string();
    let overlay = format!(
        "# Edit this, then regenerate: weft gen openapi {shown} --overlay overlay.toml --out .\n\
         # (labels, help, auth, fixes to the document: see connectors/README.md in the weft repository).\n\
         [connector]\nid = \"{name}\"\nname = \"{title}\"\n"
    );
    write(dir, "overlay.toml", &overlay)?;
    let args = weft_gen::cli::OpenapiArgs {
        specs: vec![spec.clone()],
        overlays: vec![dir.join("overlay.toml")],
        out: dir.to_path_buf(),
        runtime: Some(source.join("connectors/openapi-runtime")),
        workspace_member: false,
    };
    print!("{}", weft_gen::cli::run_openapi(&args).map_err(|e| e.to_string())?);
    println!(
        "created {} from {shown}; next:\n  cd {}\n  cargo build --target wasm32-wasip2 --profile component\n  weft check target/wasm32-wasip2/component/{}.wasm",
        dir.display(),
        dir.display(),
        name.replace('-', "_")
    );
    Ok(())
}
