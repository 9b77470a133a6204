//! Reading true/false columns the same way from both databases: PostgreSQL has `BOOLEAN`, while
//! SQLite stores flags as `INTEGER` 0/1 (sqlx's Any driver cannot map SQLite's `BOOLEAN`).

use sqlx::{
    Any, Decode, Type, ValueRef,
    any::{AnyTypeInfo, AnyTypeInfoKind},
    error::BoxDynError,
};

/// A true/false column read from either database (PostgreSQL `BOOLEAN`, SQLite `INTEGER`);
/// rows convert it with `#[sqlx(try_from = "BoolColumn")]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BoolColumn(bool);

impl From<BoolColumn> for bool {
    fn from(column: BoolColumn) -> bool {
        column.0
    }
}

impl Type<Any> for BoolColumn {
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

impl<'r> Decode<'r, Any> for BoolColumn {
    fn decode(value: <Any as sqlx::Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        let kind = value.type_info().kind;
        match kind {
            AnyTypeInfoKind::Bool => <bool as Decode<Any>>::decode(value).map(BoolColumn),
            AnyTypeInfoKind::SmallInt => {
                <i16 as Decode<Any>>::decode(value).map(|i| BoolColumn(i != 0))
            }
            AnyTypeInfoKind::Integer => {
                <i32 as Decode<Any>>::decode(value).map(|i| BoolColumn(i != 0))
            }
            AnyTypeInfoKind::BigInt => {
                <i64 as Decode<Any>>::decode(value).map(|i| BoolColumn(i != 0))
            }
            other => Err(format!("expected a true/false column, found {other:?}").into()),
        }
    }
}
