//! Whole numbers as JSON Schema means them: `899` and `899.0` are the same
//! integer (draft 2020-12 counts a number with no fraction as an integer), so
//! a request the document allows is never refused for how a client spelt it.
//! In query strings the text is read the same way.

use serde::Deserializer;
use serde::de::{Error, Visitor};
use std::fmt;

struct WholeNumber;

impl Visitor<'_> for WholeNumber {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a whole number")
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom(format!("{v} is too large")))
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<i64, E> {
        // `i64::MAX as f64` rounds up to 2^63, which does not fit: strictly below it.
        if v.fract() == 0.0 && v >= i64::MIN as f64 && v < i64::MAX as f64 {
            Ok(v as i64)
        } else {
            Err(E::custom(format!("{v} is not a whole number")))
        }
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<i64, E> {
        match v.parse::<i64>() {
            Ok(n) => Ok(n),
            Err(_) => v
                .parse::<f64>()
                .map_err(|_| E::custom(format!("`{v}` is not a number")))
                .and_then(|f| self.visit_f64(f)),
        }
    }
}

/// An optional whole number.
pub(crate) fn option_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    struct Maybe;
    impl<'de> Visitor<'de> for Maybe {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a whole number or nothing")
        }
        fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(WholeNumber).map(Some)
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<Self::Value, E> {
            WholeNumber.visit_i64(v).map(Some)
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<Self::Value, E> {
            WholeNumber.visit_u64(v).map(Some)
        }
        fn visit_f64<E: Error>(self, v: f64) -> Result<Self::Value, E> {
            WholeNumber.visit_f64(v).map(Some)
        }
        fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
            WholeNumber.visit_str(v).map(Some)
        }
    }
    d.deserialize_option(Maybe)
}

/// An optional whole number that fits a `u32`.
pub(crate) fn option_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    match option_i64(d)? {
        None => Ok(None),
        Some(n) => u32::try_from(n).map(Some).map_err(|_| D::Error::custom(format!("{n} is out of range"))),
    }
}

/// A field that may be absent (`None`: keep what is there), `null`
/// (`Some(None)`: remove it) or a value (`Some(Some(v))`); with
/// `#[serde(default)]`, absence never reaches this function.
pub(crate) fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "super::option_u32")]
        n: Option<u32>,
    }

    #[test]
    fn a_whole_number_may_be_spelt_with_a_zero_fraction() {
        let read = |json: &str| serde_json::from_str::<Body>(json).map(|b| b.n);
        assert_eq!(read(r#"{"n": 899}"#).ok(), Some(Some(899)));
        assert_eq!(read(r#"{"n": 899.0}"#).ok(), Some(Some(899)));
        assert_eq!(read(r#"{}"#).ok(), Some(None));
        assert_eq!(read(r#"{"n": null}"#).ok(), Some(None));
        assert!(read(r#"{"n": 1.5}"#).is_err());
        assert!(read(r#"{"n": -1}"#).is_err());
        let big: Result<Body, _> = serde_urlencoded::from_str("n=9223372036854775808");
        assert!(big.is_err(), "past i64 is refused, not saturated");
        let query: Result<Body, _> = serde_urlencoded::from_str("n=60.0");
        assert_eq!(query.ok().and_then(|b| b.n), Some(60));
    }
}
