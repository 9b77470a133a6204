//! Reading true/false columns the same way from both databases: PostgreSQL has `BOOLEAN`, while
//! SQLite stores flags as `INTEGER` 0/1 (sqlx's Any driver cannot map SQLite's `BOOLEAN`).

use sqlx::{
    Any, Decode, Type, ValueRef,
    any::{AnyTypeInfo, AnyTypeInfoKind},
    error::BoxDynError,
};

/// A flag read from either database; rows convert it with `#[sqlx(try_from = "Flag")]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Flag(bool);

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0
    }
}

impl Type<Any> for Flag {
    fn type_info() -> AnyTypeInfo {
        AnyTypeInfo {
            kind: AnyTypeInfoKind::Bool,
        }
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        matches!(
            ty.kind,
            AnyTypeInfoKind::Bool
                | AnyTypeInfoKind::SmallInt
                | AnyTypeInfoKind::Integer
                | AnyTypeInfoKind::BigInt
        )
    }
}

impl<'r> Decode<'r, Any> for Flag {
    fn decode(value: <Any as sqlx::Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        let kind = value.type_info().kind;
        match kind {
            AnyTypeInfoKind::Bool => <bool as Decode<Any>>::decode(value).map(Flag),
            AnyTypeInfoKind::SmallInt => <i16 as Decode<Any>>::decode(value).map(|i| Flag(i != 0)),
            AnyTypeInfoKind::Integer => <i32 as Decode<Any>>::decode(value).map(|i| Flag(i != 0)),
            AnyTypeInfoKind::BigInt => <i64 as Decode<Any>>::decode(value).map(|i| Flag(i != 0)),
            other => Err(format!("expected a flag, found {other:?}").into()),
        }
    }
}
