//! Secrets at rest: every credential is sealed with XChaCha20-Poly1305 under
//! a master key before it reaches the database. Each sealed value records the
//! id of the key that sealed it, so keys can be rotated.
//!
//! The master key comes from `WEFT_MASTER_KEY` (base64 of 32 bytes), or from
//! a key file the host creates with mode 0600 on first use.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Marks the sealed format, so a future format can be told apart.
const FORMAT: &[u8; 3] = b"wv1";
const NONCE_LEN: usize = 24;

/// Why the vault could not load its keys, open a sealed value or rotate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// The master key is not base64 of 32 bytes, or it cannot be rotated where it comes from.
    #[error("the master key is unusable: {0}")]
    BadKey(String),
    /// The key file cannot be read, parsed or written, or its mode lets others read it.
    #[error("cannot read or write the key file {path}: {reason}")]
    KeyFile {
        /// The key file.
        path: String,
        /// What went wrong with it.
        reason: String,
    },
    /// A value was sealed with a key this host does not have; the text is the key's id.
    #[error("a secret was sealed with key `{0}`, which this host does not have; restore that key or reconnect")]
    UnknownKey(String),
    /// A sealed value does not open: damaged, or sealed for another record's context.
    #[error("a sealed secret is corrupt or was moved from another record")]
    Corrupt,
}

/// One master key.
#[derive(Clone)]
struct MasterKey {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl MasterKey {
    fn from_bytes(bytes: &[u8]) -> Result<MasterKey, VaultError> {
        if bytes.len() != 32 {
            return Err(VaultError::BadKey(format!("it has {} bytes; 32 are needed", bytes.len())));
        }
        let id = hex::encode(&sha2::Sha256::digest(bytes)[..6]);
        let cipher = XChaCha20Poly1305::new_from_slice(bytes).map_err(|e| VaultError::BadKey(e.to_string()))?;
        Ok(MasterKey { id, cipher })
    }

    fn from_base64(text: &str) -> Result<MasterKey, VaultError> {
        let bytes =
            Zeroizing::new(B64.decode(text.trim()).map_err(|e| VaultError::BadKey(format!("not base64 ({e})")))?);
        Self::from_bytes(&bytes)
    }
}

/// The key file: every key still needed, and which one seals new secrets.
#[derive(Serialize, Deserialize)]
struct KeyFile {
    current: String,
    keys: Vec<StoredKey>,
}

#[derive(Serialize, Deserialize)]
struct StoredKey {
    id: String,
    key: String,
}

/// Where the master key comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// Base64 of 32 bytes, from `WEFT_MASTER_KEY`; earlier keys (for
    /// rotation) from `WEFT_PREVIOUS_MASTER_KEYS`, comma-separated.
    Env {
        /// The key new secrets are sealed with, base64.
        current: String,
        /// Earlier keys, base64, still opening what they sealed until everything is re-sealed.
        previous: Vec<String>,
    },
    /// A key file, created on first use.
    File(PathBuf),
}

impl KeySource {
    /// `WEFT_MASTER_KEY` when set, else the key file in `data_dir`.
    pub fn from_env_or_file(data_dir: &Path) -> KeySource {
        match std::env::var("WEFT_MASTER_KEY") {
            Ok(current) if !current.trim().is_empty() => {
                let previous = std::env::var("WEFT_PREVIOUS_MASTER_KEYS")
                    .map(|v| v.split(',').map(str::to_string).filter(|s| !s.trim().is_empty()).collect())
                    .unwrap_or_default();
                KeySource::Env { current, previous }
            }
            _ => KeySource::File(data_dir.join("master.key")),
        }
    }
}

/// Seals and opens secrets.
#[derive(Clone)]
pub struct Vault {
    current: MasterKey,
    others: Vec<MasterKey>,
    source: KeySource,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").field("current_key", &self.current.id).finish_non_exhaustive()
    }
}

fn key_file_error(path: &Path, reason: impl ToString) -> VaultError {
    VaultError::KeyFile { path: path.display().to_string(), reason: reason.to_string() }
}

impl Vault {
    /// Opens the vault, creating the key file on first use.
    pub fn open(source: KeySource) -> Result<Vault, VaultError> {
        match &source {
            KeySource::Env { current, previous } => {
                let current_key = MasterKey::from_base64(current)?;
                let others = previous.iter().map(|p| MasterKey::from_base64(p)).collect::<Result<_, _>>()?;
                Ok(Vault { current: current_key, others, source })
            }
            KeySource::File(path) => {
                if !path.exists() {
                    write_key_file(path, &[fresh_key()], 0)?;
                    tracing::warn!(
                        path = %path.display(),
                        "created a new master key file (mode 0600); back it up, or set WEFT_MASTER_KEY to manage the key yourself"
                    );
                }
                let (current, others) = read_key_file(path)?;
                Ok(Vault { current, others, source })
            }
        }
    }

    /// The id of the key new secrets are sealed with.
    pub fn current_key_id(&self) -> &str {
        &self.current.id
    }

    /// Seals `plain`, bound to `context` (e.g. the record's id): a sealed
    /// value copied to another record does not open there.
    pub fn seal(&self, plain: &[u8], context: &str) -> Vec<u8> {
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let nonce = XNonce::from_slice(&nonce_bytes);
        let ciphertext =
            self.current.cipher.encrypt(nonce, Payload { msg: plain, aad: context.as_bytes() }).unwrap_or_default();
        let id = self.current.id.as_bytes();
        let mut out = Vec::with_capacity(FORMAT.len() + 1 + id.len() + NONCE_LEN + ciphertext.len());
        out.extend_from_slice(FORMAT);
        out.push(id.len() as u8);
        out.extend_from_slice(id);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&ciphertext);
        out
    }

    /// Opens a value sealed by `seal` with the same `context`.
    pub fn open_sealed(&self, sealed: &[u8], context: &str) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let rest = sealed.strip_prefix(FORMAT.as_slice()).ok_or(VaultError::Corrupt)?;
        let (&id_len, rest) = rest.split_first().ok_or(VaultError::Corrupt)?;
        let id_len = id_len as usize;
        if rest.len() < id_len + NONCE_LEN {
            return Err(VaultError::Corrupt);
        }
        let id = std::str::from_utf8(&rest[..id_len]).map_err(|_| VaultError::Corrupt)?;
        let nonce = XNonce::from_slice(&rest[id_len..id_len + NONCE_LEN]);
        let ciphertext = &rest[id_len + NONCE_LEN..];
        let key = std::iter::once(&self.current)
            .chain(&self.others)
            .find(|k| k.id == id)
            .ok_or_else(|| VaultError::UnknownKey(id.to_string()))?;
        key.cipher
            .decrypt(nonce, Payload { msg: ciphertext, aad: context.as_bytes() })
            .map(Zeroizing::new)
            .map_err(|_| VaultError::Corrupt)
    }

    /// The key id a sealed value was sealed with.
    pub fn key_id_of(sealed: &[u8]) -> Option<&str> {
        let rest = sealed.strip_prefix(FORMAT.as_slice())?;
        let (&len, rest) = rest.split_first()?;
        std::str::from_utf8(rest.get(..len as usize)?).ok()
    }

    /// A vault sealing with a new key that still opens everything the old
    /// keys sealed. For a key file, the new key is written first, kept beside
    /// the old ones until `forget_old_keys`.
    pub fn rotated(&self) -> Result<Vault, VaultError> {
        match &self.source {
            KeySource::Env { .. } => Err(VaultError::BadKey(
                "the master key comes from WEFT_MASTER_KEY: put the old key in WEFT_PREVIOUS_MASTER_KEYS, a new one in \
                 WEFT_MASTER_KEY, and run the rotation again"
                    .into(),
            )),
            KeySource::File(path) => {
                let mut keys = vec![fresh_key()];
                for k in std::iter::once(&self.current).chain(&self.others) {
                    keys.push(StoredKey { id: k.id.clone(), key: stored_key_of(path, &k.id)? });
                }
                write_key_file(path, &keys, 0)?;
                let (current, others) = read_key_file(path)?;
                Ok(Vault { current, others, source: self.source.clone() })
            }
        }
    }

    /// After every secret was re-sealed with the current key: drop the others.
    pub fn forget_old_keys(&mut self) -> Result<(), VaultError> {
        if let KeySource::File(path) = &self.source {
            let key = stored_key_of(path, &self.current.id)?;
            write_key_file(path, &[StoredKey { id: self.current.id.clone(), key }], 0)?;
        }
        self.others.clear();
        Ok(())
    }
}

fn fresh_key() -> StoredKey {
    let bytes = Zeroizing::new(rand::random::<[u8; 32]>());
    let id = hex::encode(&sha2::Sha256::digest(bytes.as_slice())[..6]);
    StoredKey { id, key: B64.encode(bytes.as_slice()) }
}

fn stored_key_of(path: &Path, id: &str) -> Result<String, VaultError> {
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| key_file_error(path, e))?);
    let file: KeyFile = serde_json::from_str(&text).map_err(|e| key_file_error(path, e))?;
    file.keys.into_iter().find(|k| k.id == id).map(|k| k.key).ok_or_else(|| VaultError::UnknownKey(id.into()))
}

fn read_key_file(path: &Path) -> Result<(MasterKey, Vec<MasterKey>), VaultError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_err(|e| key_file_error(path, e))?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(key_file_error(path, format!("its mode is {:o}; it must be 600 (chmod 600 it)", mode & 0o777)));
        }
    }
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| key_file_error(path, e))?);
    let file: KeyFile = serde_json::from_str(&text).map_err(|e| key_file_error(path, e))?;
    let mut current = None;
    let mut others = Vec::new();
    for stored in &file.keys {
        let key = MasterKey::from_base64(&stored.key)?;
        if key.id == file.current {
            current = Some(key);
        } else {
            others.push(key);
        }
    }
    let current = current.ok_or_else(|| key_file_error(path, "it names no current key"))?;
    Ok((current, others))
}

/// Writes the key file with mode 0600, atomically.
fn write_key_file(path: &Path, keys: &[StoredKey], current: usize) -> Result<(), VaultError> {
    let file = KeyFile {
        current: keys[current].id.clone(),
        keys: keys.iter().map(|k| StoredKey { id: k.id.clone(), key: k.key.clone() }).collect(),
    };
    let text = Zeroizing::new(serde_json::to_string_pretty(&file).map_err(|e| key_file_error(path, e))?);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| key_file_error(path, e))?;
    }
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    use std::io::Write;
    let mut f = options.open(&tmp).map_err(|e| key_file_error(path, e))?;
    f.write_all(text.as_bytes()).and_then(|()| f.sync_all()).map_err(|e| key_file_error(path, e))?;
    std::fs::rename(&tmp, path).map_err(|e| key_file_error(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_in_their_own_record() {
        let dir = tempfile::tempdir().expect("dir");
        let vault = Vault::open(KeySource::File(dir.path().join("master.key"))).expect("vault");
        let sealed = vault.seal(b"refresh-token-123", "conn-1");
        assert!(!sealed.windows(9).any(|w| w == b"refresh-t"), "no plaintext in the sealed value");
        assert_eq!(&*vault.open_sealed(&sealed, "conn-1").expect("opens"), b"refresh-token-123");
        assert!(matches!(vault.open_sealed(&sealed, "conn-2"), Err(VaultError::Corrupt)));
    }

    #[test]
    fn the_key_file_is_private_and_rotation_keeps_old_secrets_readable() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("master.key");
        let vault = Vault::open(KeySource::File(path.clone())).expect("vault");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let old = vault.seal(b"secret", "r");
        let mut rotated = vault.rotated().expect("rotate");
        assert_ne!(rotated.current_key_id(), vault.current_key_id());
        assert_eq!(&*rotated.open_sealed(&old, "r").expect("old still opens"), b"secret");
        let resealed = rotated.seal(b"secret", "r");
        rotated.forget_old_keys().expect("forget");
        assert!(matches!(rotated.open_sealed(&old, "r"), Err(VaultError::UnknownKey(_))));
        let reopened = Vault::open(KeySource::File(path)).expect("reopen");
        assert_eq!(&*reopened.open_sealed(&resealed, "r").expect("new opens"), b"secret");
    }
}
