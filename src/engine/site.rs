//! Several applications in one server: CherryPy's `tree.mount`, and virtual hosts.
//!
//! This module owns [`Site`], what one server serves: applications mounted at path prefixes
//! (each with its own configuration and tools, its URLs built under its prefix), and
//! applications chosen by the request's `Host` (its name, any port). A request goes to the
//! application of its host if one is named, else to the application with the longest prefix
//! that holds its path (`/api` holds `/api` and `/api/x`, not `/apix`), else to the one at
//! `/`; with nothing there it is a 404 that says so. The server's own settings (`[global]
//! server.*`: workers, timeouts, TLS, the access log) are those of the first application
//! mounted at `/`, or else of the first mounted.

use actix_web::dev::RequestHead;
use actix_web::http::{Version, header};
use actix_web::{HttpResponse, guard, web};

use crate::App;

/// One mounted application.
#[derive(Clone)]
struct Mount {
    /// The path prefix (`""` at the root; no trailing slash).
    prefix: String,
    /// The host name it answers for (lowercase), or every host.
    host: Option<String>,
    app: App,
}

/// What a server serves.
#[derive(Clone, Default)]
pub(crate) struct Site {
    mounts: Vec<Mount>,
}

impl std::fmt::Debug for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.mounts.iter().map(|m| (&m.host, &m.prefix)))
            .finish()
    }
}

/// Why an application cannot be mounted where it was asked.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MountError {
    /// The prefix is not a path (`api`, `/a//b`, `/a?b`).
    #[error(
        "cannot mount an application at `{0}`: a prefix is `/` or a path such as `/api`, \
         without a query, a fragment or an empty segment"
    )]
    Prefix(String),
    /// Two applications at the same place.
    #[error("two applications are mounted at `{0}`")]
    Twice(String),
    /// A host name that is not one.
    #[error("`{0}` is not a host name for a virtual host")]
    Host(String),
}

impl Site {
    /// One application at the root.
    pub(crate) fn single(app: App) -> Self {
        Self {
            mounts: vec![Mount {
                prefix: String::new(),
                host: None,
                app,
            }],
        }
    }

    /// Adds `app` at `prefix` (`/` for the root), for `host` or every host.
    pub(crate) fn add(
        &mut self,
        prefix: &str,
        host: Option<&str>,
        app: App,
    ) -> Result<(), MountError> {
        let bad = prefix.is_empty()
            || !prefix.starts_with('/')
            || prefix.contains(['?', '#', '\\'])
            || prefix.trim_end_matches('/').contains("//");
        if bad {
            return Err(MountError::Prefix(prefix.to_owned()));
        }
        let prefix = prefix.trim_end_matches('/').to_owned();
        let host = match host {
            Some(h) => {
                let h = h.trim().to_ascii_lowercase();
                let ok = !h.is_empty()
                    && h.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
                if !ok {
                    return Err(MountError::Host(h));
                }
                Some(h)
            }
            None => None,
        };
        if self
            .mounts
            .iter()
            .any(|m| m.prefix == prefix && m.host == host)
        {
            let at = match &host {
                Some(h) => format!("{h}{}", if prefix.is_empty() { "/" } else { &prefix }),
                None if prefix.is_empty() => "/".to_owned(),
                None => prefix,
            };
            return Err(MountError::Twice(at));
        }
        self.mounts.push(Mount { prefix, host, app });
        Ok(())
    }

    /// The application whose `[global]` settings the server follows.
    pub(crate) fn primary(&self) -> Option<&App> {
        self.mounts
            .iter()
            .find(|m| m.prefix.is_empty() && m.host.is_none())
            .or_else(|| self.mounts.first())
            .map(|m| &m.app)
    }

    /// Every application, once each (for their tools' stop).
    pub(crate) fn apps(&self) -> impl Iterator<Item = &App> {
        self.mounts.iter().map(|m| &m.app)
    }

    /// Registers the site in an actix-web application.
    pub(crate) fn configure(&self) -> impl FnOnce(&mut web::ServiceConfig) + 'static {
        let mut mounts = self.mounts.clone();
        // Hosts first, then the longest prefix: actix-web takes the first scope that matches.
        mounts.sort_by(|a, b| {
            b.host
                .is_some()
                .cmp(&a.host.is_some())
                .then(b.prefix.len().cmp(&a.prefix.len()))
        });
        move |cfg| {
            let mut hosts: Vec<String> = mounts.iter().filter_map(|m| m.host.clone()).collect();
            hosts.sort();
            hosts.dedup();
            for host in hosts {
                let name = host.clone();
                let mut scope =
                    web::scope("").guard(guard::fn_guard(move |ctx| host_is(ctx.head(), &name)));
                let mut root = None;
                for m in mounts.iter().filter(|m| m.host.as_deref() == Some(&host)) {
                    if m.prefix.is_empty() {
                        root = Some(m.app.service(""));
                    } else {
                        scope = scope.service(m.app.scope(&m.prefix));
                    }
                }
                scope = match root {
                    Some(service) => scope.default_service(service),
                    None => scope.default_service(web::to(nothing_mounted)),
                };
                cfg.service(scope);
            }
            let mut root = None;
            for m in mounts.iter().filter(|m| m.host.is_none()) {
                if m.prefix.is_empty() {
                    root = Some(m.app.service(""));
                } else {
                    cfg.service(m.app.scope(&m.prefix));
                }
            }
            match root {
                Some(service) => cfg.default_service(service),
                None => cfg.default_service(web::to(nothing_mounted)),
            };
        }
    }
}

/// Whether the request is for host `name` (lowercase): its `Host` header, or over HTTP/2 its
/// `:authority`, without its port and a final dot, in any case. By hand rather than with
/// `guard::Host`, which compares case-sensitively where host names are not.
fn host_is(head: &RequestHead, name: &str) -> bool {
    let field = head
        .headers
        .get(header::HOST)
        .filter(|_| head.version < Version::HTTP_2)
        .and_then(|v| v.to_str().ok());
    let Some(authority) = field.or_else(|| head.uri.authority().map(|a| a.as_str())) else {
        return false;
    };
    let host = match authority.rsplit_once(':') {
        // `[v6]` alone has a colon inside the brackets, not before a port.
        Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => authority,
    };
    host.strip_suffix('.')
        .unwrap_or(host)
        .eq_ignore_ascii_case(name)
}

async fn nothing_mounted() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type(mime::TEXT_PLAIN_UTF_8)
        .body("Nothing is served at this path: no application is mounted here.\n")
}

#[cfg(test)]
mod tests {
    use super::{MountError, Site};
    use crate::{App, controller};

    struct Root;
    #[controller]
    impl Root {
        #[expose]
        fn index(&self) -> &'static str {
            "root"
        }
    }

    fn app() -> App {
        App::new(Root).unwrap()
    }

    #[test]
    fn hosts_match_without_port_case_or_final_dot() {
        let head = |host: &str| {
            let req = actix_web::test::TestRequest::default()
                .insert_header(("host", host))
                .to_srv_request();
            req.head().clone()
        };
        for yes in ["a.example", "A.Example", "a.example:8080", "a.example."] {
            assert!(super::host_is(&head(yes), "a.example"), "{yes}");
        }
        for no in ["b.example", "a.example.org", "xa.example", "a.example:x"] {
            assert!(!super::host_is(&head(no), "a.example"), "{no}");
        }
        assert!(super::host_is(&head("[::1]:80"), "[::1]"));
    }

    #[test]
    fn prefixes_and_hosts_are_checked() {
        let mut site = Site::default();
        for bad in ["", "api", "/a//b", "/a?b", "/a#b"] {
            assert_eq!(
                site.add(bad, None, app()),
                Err(MountError::Prefix(bad.to_owned())),
                "{bad}"
            );
        }
        site.add("/api/", None, app()).unwrap();
        assert_eq!(
            site.add("/api", None, app()),
            Err(MountError::Twice("/api".into()))
        );
        site.add("/api", Some("Blog.Example"), app()).unwrap();
        assert_eq!(
            site.add("/api", Some("blog.example"), app()),
            Err(MountError::Twice("blog.example/api".into()))
        );
        assert_eq!(
            site.add("/", Some("a b"), app()),
            Err(MountError::Host("a b".into()))
        );
    }
}
