//! Deserialisation that checks: a type whose every value must satisfy an invariant derives its
//! serde impls with `#[serde(remote = "Self")]` and gets the trait impls from [`checked_serde!`],
//! which run the type's check after reading. So no JSON, received or read back from storage,
//! builds a value the commands could not have built.

/// Implements `Serialize` as derived and `Deserialize` as derived followed by `$check`, for a
/// type deriving both with `#[serde(remote = "Self")]`.
macro_rules! checked_serde {
    ($ty:ty, $check:expr) => {
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                <$ty>::serialize(self, serializer)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let value = <$ty>::deserialize(deserializer)?;
                let check: fn(&$ty) -> $crate::domain::Result<()> = $check;
                check(&value).map_err(::serde::de::Error::custom)?;
                Ok(value)
            }
        }
    };
}

pub(crate) use checked_serde;
