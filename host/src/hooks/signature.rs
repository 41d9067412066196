//! Webhook signatures, checked over the raw body bytes as received (never
//! over re-serialised JSON): GHL's current `x-ghl-signature` (Ed25519) and
//! its older `x-wh-signature` (RSA-SHA256, PKCS#1 v1.5), both base64.
//! Several keys may be valid at once, so a key can be rotated without a gap.

use base64::Engine;
use ed25519_dalek::pkcs8::DecodePublicKey as _;
use rsa::signature::Verifier as _;

/// GHL's published RSA key for `x-wh-signature` (from its webhook
/// authentication guide, `specs/ghl/docs/oauth/WebhookAuthentication.md`).
pub const GHL_RSA_PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAokvo/r9tVgcfZ5DysOSC
Frm602qYV0MaAiNnX9O8KxMbiyRKWeL9JpCpVpt4XHIcBOK4u3cLSqJGOLaPuXw6
dO0t6Q/ZVdAV5Phz+ZtzPL16iCGeK9po6D6JHBpbi989mmzMryUnQJezlYJ3DVfB
csedpinheNnyYeFXolrJvcsjDtfAeRx5ByHQmTnSdFUzuAnC9/GepgLT9SM4nCpv
uxmZMxrJt5Rw+VUaQ9B8JSvbMPpez4peKaJPZHBbU3OdeCVx5klVXXZQGNHOs8gF
3kvoV5rTnXV0IknLBXlcKKAQLZcY/Q9rG6Ifi9c+5vqlvHPCUJFT5XUGG5RKgOKU
J062fRtN+rLYZUV+BjafxQauvC8wSWeYja63VSUruvmNj8xkx2zE/Juc+yjLjTXp
IocmaiFeAO6fUtNjDeFVkhf5LNb59vECyrHD2SQIrhgXpO4Q3dVNA5rw576PwTzN
h/AMfHKIjE4xQA1SZuYJmNnmVZLIZBlQAF9Ntd03rfadZ+yDiOXCCs9FkHibELhC
HULgCsnuDJHcrGNd5/Ddm5hxGQ0ASitgHeMZ0kcIOwKDOzOU53lDza6/Y09T7sYJ
PQe7z0cvj7aE4B+Ax1ZoZGPzpJlZtGXCsu9aTEGEnKzmsFqwcSsnw3JB31IGKAyk
T1hhTiaCeIY/OwwwNUY2yvcCAwEAAQ==
-----END PUBLIC KEY-----";

/// The header of the current, Ed25519, signature.
pub const ED25519_HEADER: &str = "x-ghl-signature";
/// The header of the older, RSA-SHA256, signature.
pub const RSA_HEADER: &str = "x-wh-signature";

/// The public keys an app's webhooks may be signed with.
#[derive(Clone)]
pub struct PublicKeys {
    ed25519: Vec<ed25519_dalek::VerifyingKey>,
    rsa: Vec<rsa::pkcs1v15::VerifyingKey<sha2::Sha256>>,
}

/// Why a webhook's signature does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Neither header was sent.
    #[error("the webhook carries no signature (`{ED25519_HEADER}` or `{RSA_HEADER}`)")]
    Missing,
    /// The header is not base64 of a signature of the right size.
    #[error("`{0}` is not a base64 signature")]
    Malformed(&'static str),
    /// No configured key verifies it: forged, altered, or signed with a key this host does not have.
    #[error("the `{0}` signature does not verify with any configured key")]
    NoKeyVerifies(&'static str),
}

/// Why a configured key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} key {index}: {reason}")]
pub struct KeyError {
    kind: &'static str,
    index: usize,
    reason: String,
}

impl PublicKeys {
    /// Parses PEM (SPKI) keys; an Ed25519 key may also be the 32 raw bytes in base64.
    pub fn parse(ed25519: &[String], rsa: &[String]) -> Result<PublicKeys, KeyError> {
        let ed = ed25519
            .iter()
            .enumerate()
            .map(|(index, text)| {
                let bad = |reason: String| KeyError { kind: "ed25519", index, reason };
                if text.contains("BEGIN PUBLIC KEY") {
                    return ed25519_dalek::VerifyingKey::from_public_key_pem(text).map_err(|e| bad(e.to_string()));
                }
                let raw =
                    base64::engine::general_purpose::STANDARD.decode(text.trim()).map_err(|e| bad(e.to_string()))?;
                let raw: [u8; 32] = raw.try_into().map_err(|_| bad("a raw key is 32 bytes".into()))?;
                ed25519_dalek::VerifyingKey::from_bytes(&raw).map_err(|e| bad(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let rsa = rsa
            .iter()
            .enumerate()
            .map(|(index, text)| {
                rsa::RsaPublicKey::from_public_key_pem(text)
                    .map(rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new)
                    .map_err(|e| KeyError { kind: "rsa", index, reason: e.to_string() })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PublicKeys { ed25519: ed, rsa })
    }

    /// Checks the signature headers over `body`: Ed25519 when sent, else RSA.
    pub fn verify(&self, ed25519: Option<&str>, rsa: Option<&str>, body: &[u8]) -> Result<(), SignatureError> {
        let b64 = base64::engine::general_purpose::STANDARD;
        if let Some(header) = ed25519 {
            let bytes = b64.decode(header.trim()).map_err(|_| SignatureError::Malformed(ED25519_HEADER))?;
            let signature =
                ed25519_dalek::Signature::from_slice(&bytes).map_err(|_| SignatureError::Malformed(ED25519_HEADER))?;
            return match self.ed25519.iter().any(|k| k.verify_strict(body, &signature).is_ok()) {
                true => Ok(()),
                false => Err(SignatureError::NoKeyVerifies(ED25519_HEADER)),
            };
        }
        if let Some(header) = rsa {
            let bytes = b64.decode(header.trim()).map_err(|_| SignatureError::Malformed(RSA_HEADER))?;
            let signature = rsa::pkcs1v15::Signature::try_from(bytes.as_slice())
                .map_err(|_| SignatureError::Malformed(RSA_HEADER))?;
            return match self.rsa.iter().any(|k| k.verify(body, &signature).is_ok()) {
                true => Ok(()),
                false => Err(SignatureError::NoKeyVerifies(RSA_HEADER)),
            };
        }
        Err(SignatureError::Missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Signer as _;

    #[test]
    fn ed25519_over_the_raw_bytes_verifies_and_a_changed_byte_does_not() {
        let signing = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let public = base64::engine::general_purpose::STANDARD.encode(signing.verifying_key().as_bytes());
        let other = ed25519_dalek::SigningKey::from_bytes(&[8; 32]);
        let keys = PublicKeys::parse(&[public], &[]).expect("keys");
        let body = br#"{"type":"ContactTagUpdate","webhookId":"w1"}"#;
        let sign = |k: &ed25519_dalek::SigningKey, b: &[u8]| {
            base64::engine::general_purpose::STANDARD.encode(k.sign(b).to_bytes())
        };
        assert_eq!(keys.verify(Some(&sign(&signing, body)), None, body), Ok(()));
        let mut altered = body.to_vec();
        altered[10] ^= 1;
        assert_eq!(
            keys.verify(Some(&sign(&signing, body)), None, &altered),
            Err(SignatureError::NoKeyVerifies(ED25519_HEADER))
        );
        assert_eq!(
            keys.verify(Some(&sign(&other, body)), None, body),
            Err(SignatureError::NoKeyVerifies(ED25519_HEADER))
        );
        assert_eq!(keys.verify(Some("not base64!"), None, body), Err(SignatureError::Malformed(ED25519_HEADER)));
        assert_eq!(keys.verify(None, None, body), Err(SignatureError::Missing));
    }

    #[test]
    fn ghl_s_published_rsa_key_parses_and_refuses_a_made_up_signature() {
        let keys = PublicKeys::parse(&[], &[GHL_RSA_PUBLIC_KEY.to_string()]).expect("GHL's key parses");
        let fake = base64::engine::general_purpose::STANDARD.encode([1u8; 512]);
        assert_eq!(keys.verify(None, Some(&fake), b"{}"), Err(SignatureError::NoKeyVerifies(RSA_HEADER)));
        assert!(PublicKeys::parse(&["AAAA".into()], &[]).is_err(), "a key of the wrong size is refused");
    }
}
