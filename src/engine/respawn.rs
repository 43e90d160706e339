//! Re-executing the process (CherryPy's `Re-spawning`, on SIGHUP with
//! `engine.restart_on_sighup = true`): the same program with the same arguments, passed
//! through exactly as the OS gave them (they need not be UTF-8), and logged with secrets
//! masked: the password of a URL with credentials, and the value of a flag whose name says it
//! holds a secret (`password`, `secret`, `token`, `key`), written `--flag=value` or
//! `--flag value`.

use std::borrow::Cow;
use std::ffi::OsString;

use super::engine_log;

/// What stands for a masked secret.
const MASK: &str = "***";

/// Words that make a flag's value a secret.
const SECRET_WORDS: [&str; 4] = ["password", "secret", "token", "key"];

/// Re-executes the current program with its arguments. On Unix this returns only if the
/// re-execution failed; elsewhere the new process is started and this one exits. `false`: it
/// failed (logged).
pub(super) fn respawn() -> bool {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            engine_log!(error, "cannot restart: {e}");
            return false;
        }
    };
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    engine_log!(info, "Re-spawning {} {}", exe.display(), shown(&args));
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let mut cmd = std::process::Command::new(&exe);
        cmd.args(&args);
        // The listening socket the server kept: the new program serves on it, and connections
        // that arrived meanwhile wait in its backlog instead of being refused.
        if let Some((name, value)) = crate::net::exec_env() {
            cmd.env(name, value);
        }
        let e = cmd.exec();
        engine_log!(error, "cannot restart: {e}");
        false
    }
    #[cfg(not(unix))]
    {
        match std::process::Command::new(&exe).args(&args).spawn() {
            Ok(_) => std::process::exit(0),
            Err(e) => {
                engine_log!(error, "cannot restart: {e}");
                false
            }
        }
    }
}

/// The arguments as a log shows them: secrets masked, each argument as text (bytes that are not
/// UTF-8 replaced), quoted when it holds a space or is empty.
fn shown(args: &[OsString]) -> String {
    let mut out = Vec::with_capacity(args.len());
    let mut value_is_secret = false;
    for arg in args {
        let arg = arg.to_string_lossy();
        if value_is_secret && !arg.starts_with("--") {
            value_is_secret = false;
            out.push(MASK.to_owned());
            continue;
        }
        value_is_secret = false;
        let shown = match arg.strip_prefix('-') {
            Some(flag) => match flag.split_once('=') {
                Some((name, _)) if is_secret_name(name) => format!("-{name}={MASK}"),
                None if is_secret_name(flag) => {
                    value_is_secret = true;
                    arg.into_owned()
                }
                _ => mask_url_passwords(&arg).into_owned(),
            },
            None => mask_url_passwords(&arg).into_owned(),
        };
        out.push(quoted(shown));
    }
    out.join(" ")
}

fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| name.contains(w))
}

fn quoted(arg: String) -> String {
    if arg.is_empty() || arg.contains(char::is_whitespace) {
        format!("'{arg}'")
    } else {
        arg
    }
}

/// `scheme://user:password@host/...` → `scheme://user:***@host/...`, wherever a URL appears
/// in `text`. By hand rather than with a URL parser: an argument is often not a URL as a whole
/// (`--db=postgres://...`), and only the span between `://` and the `@` of the authority
/// matters.
fn mask_url_passwords(text: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let end = after
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
            .unwrap_or(after.len());
        let authority = &after[..end];
        // The last `@` ends the credentials (a password may hold an unencoded `@`).
        match authority
            .rfind('@')
            .and_then(|at| authority[..at].find(':').map(|colon| (colon, at)))
        {
            Some((colon, at)) => {
                out.push_str(&authority[..=colon]);
                out.push_str(MASK);
                out.push('@');
                changed = true;
                // Another URL may follow in the same argument (`a://..,b://..`).
                rest = &after[at + 1..];
            }
            None => rest = after,
        }
    }
    if !changed {
        return Cow::Borrowed(text);
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::shown;

    fn show(args: &[&str]) -> String {
        shown(&args.iter().map(OsString::from).collect::<Vec<_>>())
    }

    #[test]
    fn passwords_in_urls_are_masked() {
        assert_eq!(
            show(&["--database", "postgres://user:password@host/db"]),
            "--database postgres://user:***@host/db"
        );
        assert_eq!(
            show(&["--db=postgres://u:p%40ss@h:5432/d?sslmode=require"]),
            "--db=postgres://u:***@h:5432/d?sslmode=require"
        );
        assert_eq!(
            show(&["redis://:s3cret@cache:6379/0", "http://a:b@x,https://c:d@y"]),
            "redis://:***@cache:6379/0 http://a:***@x,https://c:***@y"
        );
        // An unencoded `@` in the password, several hosts: nothing of the password shows.
        assert_eq!(
            show(&["postgres://u:p@ss@h/db", "postgres://u:p1@h1,u:p2@h2/db"]),
            "postgres://u:***@h/db postgres://u:***@h2/db"
        );
        // No password, no credentials, no URL: as they were.
        assert_eq!(
            show(&["postgres://user@host/db", "http://host:8080/a@b", "plain"]),
            "postgres://user@host/db http://host:8080/a@b plain"
        );
    }

    #[test]
    fn values_of_secret_flags_are_masked() {
        assert_eq!(
            show(&[
                "--api-token=abc",
                "--password",
                "hunter2",
                "--SECRET-file=/x",
                "-key",
                "k1",
                "--bind",
                "127.0.0.1:0",
            ]),
            "--api-token=*** --password *** --SECRET-file=*** -key *** --bind 127.0.0.1:0"
        );
        // A secret flag followed by another flag has no value to mask.
        assert_eq!(
            show(&["--insecure-skip-key-check", "--workers", "2"]),
            "--insecure-skip-key-check --workers 2"
        );
        assert_eq!(show(&["--label", "a b", ""]), "--label 'a b' ''");
    }

    #[cfg(unix)]
    #[test]
    fn arguments_that_are_not_utf8_are_shown_not_refused() {
        use std::os::unix::ffi::OsStringExt;
        let args = [
            OsString::from_vec(b"caf\xe9".to_vec()),
            OsString::from("--token"),
            OsString::from_vec(b"\xff\xfe".to_vec()),
        ];
        assert_eq!(shown(&args), "caf\u{fffd} --token ***");
    }
}
