//! The ways other servers read group activity (FEDERATION.md, "Servers"), by their NodeInfo
//! software name, and what this process knows of each host's software. Only the data lives here;
//! looking hosts up is `crate::outbound::software`.

use std::time::Duration;

use kith_storage::HostSoftware;

/// How long a host's software stays in this process's copy before the database is asked again
/// (a look-up made by another process shows within this time).
const COPY_TTL: Duration = Duration::from_secs(60);

/// The ways of reading group activity Kith sends different forms to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Mastodon and the microblogs that read like it (Hometown, Pleroma, Akkoma, Misskey and
    /// its forks): a group's post is an `Announce` of its id, an event a status made from its
    /// `name` and `summary`, a ban a `Block` or `Reject{Follow}`.
    Microblog,
    /// GoToSocial: a microblog that shows an object's `summary` (else its `name`) as a content
    /// warning and ignores `Reject{Follow}` of a follow it already had accepted.
    GoToSocial,
    /// Lemmy, and the servers that talk to Lemmy communities in Lemmy's shapes (PieFed, Mbin):
    /// only `Announce{Create{Page}}` by a person, moderation by a person, no bare-id `Announce`.
    Lemmy,
    /// Other FEP-1b12 group servers, which read announced activities: Kith and NodeBB.
    Groups,
    /// A host whose software is not known (yet): every form Kith has for the activity.
    Unknown,
}

impl Dialect {
    /// The dialect of a NodeInfo `software.name` (compared case-insensitively).
    pub fn of_software(name: &str) -> Dialect {
        match name.trim().to_ascii_lowercase().as_str() {
            "mastodon" | "hometown" | "glitchsoc" | "fedibird" | "pleroma" | "akkoma"
            | "misskey" | "sharkey" | "firefish" | "iceshrimp" | "iceshrimp.net" | "calckey"
            | "foundkey" | "catodon" | "cherrypick" => Dialect::Microblog,
            "gotosocial" => Dialect::GoToSocial,
            "lemmy" | "piefed" | "mbin" | "kbin" => Dialect::Lemmy,
            "kith" | "nodebb" => Dialect::Groups,
            _ => Dialect::Unknown,
        }
    }

    /// Whether this is one of the microblog dialects (Mastodon's way of reading groups).
    pub fn is_microblog(self) -> bool {
        matches!(self, Dialect::Microblog | Dialect::GoToSocial)
    }

    /// A short name for logs and counters.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Microblog => "microblog",
            Dialect::GoToSocial => "gotosocial",
            Dialect::Lemmy => "lemmy",
            Dialect::Groups => "groups",
            Dialect::Unknown => "unknown",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Dialect::Microblog => 1,
            Dialect::GoToSocial => 2,
            Dialect::Lemmy => 4,
            Dialect::Groups => 8,
            Dialect::Unknown => 16,
        }
    }
}

/// The dialects that read one form of an activity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Readers(u8);

impl Readers {
    /// Every dialect: a form all servers read (a `Follow`, an `Accept`, a direct message).
    pub const ALL: Readers = Readers(31);

    /// Exactly these dialects.
    pub fn of(dialects: &[Dialect]) -> Readers {
        Readers(dialects.iter().fold(0, |bits, d| bits | d.bit()))
    }

    /// The microblog dialects and hosts not known yet.
    pub fn microblogs_and_unknown() -> Readers {
        Readers::of(&[Dialect::Microblog, Dialect::GoToSocial, Dialect::Unknown])
    }

    /// The FEP-1b12 readers (Lemmy's dialect and the other group servers) and hosts not known
    /// yet.
    pub fn groups_and_unknown() -> Readers {
        Readers::of(&[Dialect::Lemmy, Dialect::Groups, Dialect::Unknown])
    }

    /// Whether `dialect` reads the form.
    pub fn contains(self, dialect: Dialect) -> bool {
        self.0 & dialect.bit() != 0
    }

    /// These readers without `dialect`.
    pub fn without(self, dialect: Dialect) -> Readers {
        Readers(self.0 & !dialect.bit())
    }
}

/// What this process knows of a host's software.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Known {
    /// Never noted: the host is noted (and looked up) when something is queued for it.
    Unnoted,
    /// Noted; no look-up has found its software (yet).
    Pending,
    /// Its NodeInfo `software.name` and `version`.
    Software(String, Option<String>),
}

impl Known {
    pub(crate) fn of_row(row: &HostSoftware) -> Known {
        match &row.software {
            Some(name) => Known::Software(name.clone(), row.version.clone()),
            None => Known::Pending,
        }
    }

    /// The dialect Kith speaks to the host.
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Known::Software(name, _) => Dialect::of_software(name),
            Known::Unnoted | Known::Pending => Dialect::Unknown,
        }
    }

    /// The software name, for logs and counters (`unknown` when not known).
    pub(crate) fn name(&self) -> &str {
        match self {
            Known::Software(name, _) => name,
            Known::Unnoted | Known::Pending => "unknown",
        }
    }
}

/// The copy in memory of hosts' software.
pub(crate) type SoftwareCopy = moka::future::Cache<String, Known>;

/// A new, empty copy.
pub(crate) fn new_copy() -> SoftwareCopy {
    moka::future::Cache::builder()
        .max_capacity(100_000)
        .time_to_live(COPY_TTL)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn software_names_map_to_dialects() {
        assert_eq!(Dialect::of_software("mastodon"), Dialect::Microblog);
        assert_eq!(Dialect::of_software("Mastodon"), Dialect::Microblog);
        assert_eq!(Dialect::of_software("gotosocial"), Dialect::GoToSocial);
        assert_eq!(Dialect::of_software("lemmy"), Dialect::Lemmy);
        assert_eq!(Dialect::of_software("piefed"), Dialect::Lemmy);
        assert_eq!(Dialect::of_software("nodebb"), Dialect::Groups);
        assert_eq!(Dialect::of_software("kith"), Dialect::Groups);
        assert_eq!(Dialect::of_software("mobilizon"), Dialect::Unknown);
        assert_eq!(Dialect::of_software(""), Dialect::Unknown);
    }

    #[test]
    fn readers_are_sets_of_dialects() {
        let r = Readers::microblogs_and_unknown();
        assert!(r.contains(Dialect::Microblog) && r.contains(Dialect::GoToSocial));
        assert!(r.contains(Dialect::Unknown) && !r.contains(Dialect::Lemmy));
        let g = Readers::groups_and_unknown();
        assert!(g.contains(Dialect::Lemmy) && g.contains(Dialect::Groups));
        assert!(!g.contains(Dialect::Microblog));
        assert!(!g.without(Dialect::Lemmy).contains(Dialect::Lemmy));
        for d in [
            Dialect::Microblog,
            Dialect::GoToSocial,
            Dialect::Lemmy,
            Dialect::Groups,
            Dialect::Unknown,
        ] {
            assert!(Readers::ALL.contains(d));
        }
    }
}
