//! Enums stored as short text values (states, roles, policies, kinds), with one definition of
//! how each variant is spelled in the database.
//!
//! Each enum is a column type of its own for sqlx's `Any` driver: rows decode it straight from
//! the stored text (on SQLite and PostgreSQL alike, the column being `TEXT` on both) and queries
//! bind it as that text. Text this build does not know is a decoding error naming the column's
//! type and the value — never silently read as some default — so a row written by a newer
//! version, or by hand, is refused where it is read rather than misread.

/// Declares an enum whose variants are stored as the given text, with `as_str`, `parse`,
/// `Display` and `Serialize` (the stored text, which templates and JSON show) and sqlx's `Type`, `Decode` and
/// `Encode` for `Any`.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The value as stored.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// Reads a stored value; `None` for one this build does not know.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(
                &self,
                serializer: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl sqlx::Type<sqlx::Any> for $name {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <str as sqlx::Type<sqlx::Any>>::type_info()
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Any> for $name {
            fn decode(
                value: <sqlx::Any as sqlx::Database>::ValueRef<'r>,
            ) -> std::result::Result<Self, sqlx::error::BoxDynError> {
                let text = <&str as sqlx::Decode<sqlx::Any>>::decode(value)?;
                $name::parse(text).ok_or_else(|| {
                    format!(concat!("unknown ", stringify!($name), " {:?}"), text).into()
                })
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Any> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer,
            ) -> std::result::Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<sqlx::Any>>::encode(self.as_str(), buf)
            }
        }
    };
}

pub(crate) use text_enum;

#[cfg(test)]
mod tests {
    use crate::{StorageError, Visibility, testing};

    #[tokio::test]
    async fn stored_text_is_read_and_bound_as_its_enum_and_unknown_text_is_an_error() {
        for t in testing::all().await {
            let read = |sql: &'static str| {
                let pool = t.db.pool.clone();
                async move {
                    sqlx::query_scalar::<_, Visibility>(sql)
                        .fetch_one(&pool)
                        .await
                }
            };
            assert_eq!(
                read("SELECT 'unlisted'").await.unwrap(),
                Visibility::Unlisted,
                "{}",
                t.label
            );
            let bound: String = sqlx::query_scalar("SELECT CAST($1 AS TEXT)")
                .bind(Visibility::Followers)
                .fetch_one(&t.db.pool)
                .await
                .unwrap();
            assert_eq!(bound, "followers", "{}", t.label);
            // A value this build does not know is refused where it is read, never defaulted.
            let error = StorageError::from(read("SELECT 'sideways'").await.unwrap_err());
            let message = error.to_string();
            assert!(
                message.contains("Visibility") && message.contains("sideways"),
                "{}: {message}",
                t.label
            );
        }
    }
}
