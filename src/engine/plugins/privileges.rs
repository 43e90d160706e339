//! CherryPy's `DropPrivileges` (Unix): after the server bound its port, the process gives up
//! root for an unprivileged user and group, and sets its umask.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::sys::stat::{Mode, mode_t, umask};
use nix::unistd::{Gid, Group, Uid, User, getegid, geteuid, getgid, getuid, setgid, setuid};

use crate::engine::{Engine, ListenerResult, engine_log};

/// A user or a group, by name (`"nobody"`) or by number (`65534`, or `"65534"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameOrId {
    /// A name, looked up in the user or group database when the plugin starts.
    Name(String),
    /// A number.
    Id(u32),
}

impl From<u32> for NameOrId {
    fn from(id: u32) -> Self {
        NameOrId::Id(id)
    }
}

impl From<&str> for NameOrId {
    /// Digits are a number, anything else a name.
    fn from(s: &str) -> Self {
        match s.parse::<u32>() {
            Ok(id) => NameOrId::Id(id),
            Err(_) => NameOrId::Name(s.to_owned()),
        }
    }
}

impl From<String> for NameOrId {
    fn from(s: String) -> Self {
        NameOrId::from(s.as_str())
    }
}

impl fmt::Display for NameOrId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameOrId::Name(n) => f.write_str(n),
            NameOrId::Id(id) => write!(f, "{id}"),
        }
    }
}

/// Why privileges could not be dropped.
#[derive(Debug, thiserror::Error)]
pub enum DropPrivilegesError {
    /// No user has that name.
    #[error("cannot run as user '{0}': there is no such user")]
    UnknownUser(String),
    /// No group has that name.
    #[error("cannot run as group '{0}': there is no such group")]
    UnknownGroup(String),
    /// A change was asked for and the process is not root.
    #[error(
        "cannot run as {asked}: the process runs as uid {uid}, not root, and only root changes \
         its user or group"
    )]
    NotRoot {
        /// What was asked for: `uid 65534 (nobody)`, `gid 33`.
        asked: String,
        /// The process's effective uid.
        uid: u32,
    },
    /// The OS refused a call.
    #[error("cannot {what}: {source}")]
    Os {
        /// The call (`setuid(65534)`).
        what: String,
        /// The OS error.
        source: nix::Error,
    },
}

/// The privilege plugin: `start` at priority 77, after the server bound its port at 75 (so
/// a port below 1024 can be bound as root), as in CherryPy.
///
/// * The group is set first (`setgid`, and the supplementary groups cleared with
///   `setgroups([])` where the OS has it), then the user (`setuid`): once the user is not root
///   the group could no longer change. Without a group, a user given by name or by a number
///   the user database knows takes that user's primary group (CherryPy would keep root's).
/// * A change the process cannot make (it is not root) fails the start, naming what was asked
///   for; asking for the ids it holds already changes nothing and needs no root.
/// * It runs once: a later start (after a stop) logs the ids it runs as.
///
/// Log lines, CherryPy's: `Started as uid: 0 (root) gid: 0 (root)`,
/// `Running as uid: 65534 (nobody) gid: 65534 (nogroup)`, `umask old: 0o22, new: 0o27`, and
/// the warning `uid/gid not set` when neither is given.
///
/// ```no_run
/// use drupe::engine::{DropPrivileges, Engine};
///
/// let engine = Engine::new();
/// // ... the server plugin, on port 80 ...
/// DropPrivileges::new().uid("www-data").umask(0o027).attach(&engine);
/// engine.start().expect("started");
/// ```
#[derive(Debug, Clone, Default)]
pub struct DropPrivileges {
    uid: Option<NameOrId>,
    gid: Option<NameOrId>,
    umask: Option<u32>,
}

impl DropPrivileges {
    /// Changes nothing until told what to change.
    pub fn new() -> Self {
        Self::default()
    }

    /// The user to run as, by name or number.
    pub fn uid(mut self, user: impl Into<NameOrId>) -> Self {
        self.uid = Some(user.into());
        self
    }

    /// The group to run as, by name or number.
    pub fn gid(mut self, group: impl Into<NameOrId>) -> Self {
        self.gid = Some(group.into());
        self
    }

    /// The file mode creation mask to set (such as `0o027`).
    pub fn umask(mut self, mask: u32) -> Self {
        self.umask = Some(mask & 0o777);
        self
    }

    /// Subscribes the plugin: `start` at priority 77.
    pub fn attach(self, engine: &Engine) {
        let plugin = Arc::new(Plugin {
            options: self,
            finalized: AtomicBool::new(false),
        });
        engine.subscribe("start", 77, "DropPrivileges", move |_| plugin.start());
    }
}

struct Plugin {
    options: DropPrivileges,
    /// Whether it ran (CherryPy's `finalized`).
    finalized: AtomicBool,
}

impl Plugin {
    fn start(&self) -> ListenerResult {
        let options = &self.options;
        let ids_asked = options.uid.is_some() || options.gid.is_some();
        if self.finalized.load(Ordering::SeqCst) {
            if ids_asked {
                engine_log!(
                    info,
                    "Already running as uid: {} gid: {}",
                    user(getuid()),
                    group(getgid())
                );
            }
            if let Some(mask) = options.umask {
                engine_log!(info, "umask already set to: {mask:#o}");
            }
            return Ok(());
        }
        if ids_asked {
            let (uid, gid) = resolve(options)?;
            engine_log!(
                info,
                "Started as uid: {} gid: {}",
                user(getuid()),
                group(getgid())
            );
            change(uid, gid)?;
            engine_log!(
                info,
                "Running as uid: {} gid: {}",
                user(getuid()),
                group(getgid())
            );
        } else {
            engine_log!(warn, "uid/gid not set");
        }
        match options.umask {
            Some(mask) => {
                let new = Mode::from_bits_truncate(mask as mode_t);
                let old = umask(new);
                engine_log!(info, "umask old: {:#o}, new: {:#o}", old.bits(), new.bits());
            }
            None => engine_log!(info, "umask not set"),
        }
        self.finalized.store(true, Ordering::SeqCst);
        Ok(())
    }
}

/// A user and a group asked for: the user (with its primary group when the database knows
/// it), then the group given or that primary group.
fn resolve(options: &DropPrivileges) -> Result<(Option<Uid>, Option<Gid>), DropPrivilegesError> {
    let lookup = |what: String| move |source: nix::Error| DropPrivilegesError::Os { what, source };
    let asked_user = match &options.uid {
        None => None,
        Some(NameOrId::Id(id)) => {
            let uid = Uid::from_raw(*id);
            let primary = User::from_uid(uid).ok().flatten().map(|u| u.gid);
            Some((uid, primary))
        }
        Some(NameOrId::Name(name)) => {
            let found = User::from_name(name).map_err(lookup(format!("look up user '{name}'")))?;
            let u = found.ok_or_else(|| DropPrivilegesError::UnknownUser(name.clone()))?;
            Some((u.uid, Some(u.gid)))
        }
    };
    let gid = match &options.gid {
        None => asked_user.and_then(|(_, primary)| primary),
        Some(NameOrId::Id(id)) => Some(Gid::from_raw(*id)),
        Some(NameOrId::Name(name)) => {
            let found =
                Group::from_name(name).map_err(lookup(format!("look up group '{name}'")))?;
            let g = found.ok_or_else(|| DropPrivilegesError::UnknownGroup(name.clone()))?;
            Some(g.gid)
        }
    };
    Ok((asked_user.map(|(uid, _)| uid), gid))
}

/// Sets the group, then the user, where they differ from the ones held (real or effective).
fn change(uid: Option<Uid>, gid: Option<Gid>) -> Result<(), DropPrivilegesError> {
    let gid = gid.filter(|g| *g != getgid() || *g != getegid());
    let uid = uid.filter(|u| *u != getuid() || *u != geteuid());
    if uid.is_none() && gid.is_none() {
        return Ok(());
    }
    if !geteuid().is_root() {
        let asked = match (uid, gid) {
            (Some(u), _) => format!("uid {}", user(u)),
            (None, Some(g)) => format!("gid {}", group(g)),
            (None, None) => unreachable!("returned above"),
        };
        return Err(DropPrivilegesError::NotRoot {
            asked,
            uid: geteuid().as_raw(),
        });
    }
    let os = |what: String| move |source: nix::Error| DropPrivilegesError::Os { what, source };
    // Root's supplementary groups would otherwise stay with the new user.
    #[cfg(not(any(target_vendor = "apple", target_os = "redox", target_os = "haiku")))]
    nix::unistd::setgroups(&[]).map_err(os("clear the supplementary groups".to_owned()))?;
    if let Some(g) = gid {
        setgid(g).map_err(os(format!("setgid({g})")))?;
    }
    if let Some(u) = uid {
        setuid(u).map_err(os(format!("setuid({u})")))?;
    }
    Ok(())
}

/// `65534 (nobody)`, or the number alone when the database does not know it.
fn user(uid: Uid) -> String {
    match User::from_uid(uid) {
        Ok(Some(u)) => format!("{uid} ({})", u.name),
        _ => uid.to_string(),
    }
}

/// `65534 (nogroup)`, or the number alone.
fn group(gid: Gid) -> String {
    match Group::from_gid(gid) {
        Ok(Some(g)) => format!("{gid} ({})", g.name),
        _ => gid.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::NameOrId;

    #[test]
    fn digits_are_ids_and_anything_else_a_name() {
        assert_eq!(NameOrId::from("65534"), NameOrId::Id(65534));
        assert_eq!(NameOrId::from(33), NameOrId::Id(33));
        assert_eq!(
            NameOrId::from("www-data"),
            NameOrId::Name("www-data".into())
        );
        assert_eq!(NameOrId::from("-1"), NameOrId::Name("-1".into()));
    }
}
