//! The one place that hides secrets a server reply can carry: CONFIG GET values of
//! secret-bearing parameters (any case, any glob, Redis 6/7, Valkey, Sentinel), ACL password
//! hashes (ACL LIST, ACL GETUSER), INFO and CLIENT LIST fields named like a secret, and the
//! secret arguments of logged commands (SLOWLOG, AUTH, HELLO … AUTH, MIGRATE … AUTH/AUTH2,
//! ACL SETUSER `>pw`/`#hash`, CONFIG SET of a secret parameter). The API's server tools and the
//! console both call it, so a reply never shows a secret whichever way it was asked for.

use crate::bytes::Bytes;
use crate::console::Reply;

/// What a hidden value is replaced by.
pub const HIDDEN: &str = "(hidden)";

/// Parameters known to hold a secret (lowercase): Redis 6/7, Valkey (`primary*`), Sentinel's
/// `SENTINEL CONFIG` and `sentinel auth-pass`.
const SECRET_PARAMS: &[&str] = &[
    "requirepass",
    "masterauth",
    "masteruser",
    "primaryauth",
    "primaryuser",
    "tls-key-file-pass",
    "tls-client-key-file-pass",
    "sentinel-pass",
    "sentinel-user",
    "auth-pass",
    "auth-user",
];

/// Parameters whose names look secret but hold none (shown as they are).
const NOT_SECRET: &[&str] = &[
    "tls-auth-clients",
    "auth_failures",
    "acl_access_denied_auth",
];

/// True when a parameter or field of this name (any case) holds a secret: the known list, plus
/// any name that speaks of a password, a passphrase, a secret or ends in `auth` (so a new
/// parameter of a later server version is hidden by default rather than shown).
pub fn is_secret_name(name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase();
    if NOT_SECRET.contains(&n.as_str()) {
        return false;
    }
    SECRET_PARAMS.contains(&n.as_str())
        || n.contains("pass")
        || n.contains("secret")
        || n.ends_with("auth")
}

/// `name → value` pairs with secret values replaced (values left empty stay empty: "no password
/// set" is not a secret and tells an operator something).
pub fn pairs(pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    pairs
        .into_iter()
        .map(|(k, v)| {
            let v = if is_secret_name(&k) && !v.is_empty() {
                HIDDEN.to_string()
            } else {
                v
            };
            (k, v)
        })
        .collect()
}

/// One ACL rule line (`user default on #<sha256> ~* +@all`, or `>password` as typed): password
/// and hash tokens hidden.
pub fn acl_rule(line: &str) -> String {
    line.split(' ')
        .map(|tok| match tok.as_bytes().first() {
            Some(b'#') | Some(b'>') | Some(b'<') | Some(b'!') => {
                format!("{}{HIDDEN}", &tok[..1])
            }
            _ => tok.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// INFO text with the value of every secret-named field hidden (`field:value` lines).
pub fn info_text(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| match line.split_once(':') {
            Some((k, v)) if !k.starts_with('#') && is_secret_name(k) => {
                let end = if v.ends_with("\r\n") {
                    "\r\n"
                } else if v.ends_with('\n') {
                    "\n"
                } else {
                    ""
                };
                format!("{k}:{HIDDEN}{end}")
            }
            _ => line.to_string(),
        })
        .collect()
}

/// CLIENT LIST / CLIENT INFO text with the value of every secret-named `field=value` hidden.
pub fn client_text(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            let (body, end) = match line.strip_suffix('\n') {
                Some(b) => (b, "\n"),
                None => (line, ""),
            };
            let shown: Vec<String> = body
                .split(' ')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if is_secret_name(k) => format!("{k}={HIDDEN}"),
                    _ => kv.to_string(),
                })
                .collect();
            format!("{}{end}", shown.join(" "))
        })
        .collect()
}

/// A command's arguments as a log (SLOWLOG, a console echo) may show them: the secret ones hidden.
pub fn args(args: &mut [String]) {
    let upper: Vec<String> = args.iter().map(|a| a.to_ascii_uppercase()).collect();
    let name = upper.first().map(String::as_str).unwrap_or("");
    let sub = upper.get(1).map(String::as_str).unwrap_or("");
    let hide_from = |args: &mut [String], from: usize| {
        for a in args.iter_mut().skip(from) {
            *a = HIDDEN.to_string();
        }
    };
    match (name, sub) {
        ("AUTH", _) => hide_from(args, 1),
        ("HELLO", _) => {
            if let Some(i) = upper.iter().position(|a| a == "AUTH") {
                if let Some(pw) = args.get_mut(i + 2) {
                    *pw = HIDDEN.to_string();
                }
            }
        }
        ("MIGRATE", _) => {
            for (i, a) in upper.iter().enumerate() {
                match a.as_str() {
                    "AUTH" => {
                        if let Some(pw) = args.get_mut(i + 1) {
                            *pw = HIDDEN.to_string();
                        }
                    }
                    "AUTH2" => {
                        if let Some(pw) = args.get_mut(i + 2) {
                            *pw = HIDDEN.to_string();
                        }
                    }
                    _ => {}
                }
            }
        }
        ("ACL", "SETUSER") => {
            for a in args.iter_mut().skip(3) {
                if matches!(a.as_bytes().first(), Some(b'>' | b'<' | b'#' | b'!')) {
                    *a = format!("{}{HIDDEN}", &a[..1]);
                }
            }
        }
        ("CONFIG", "SET") => {
            let mut i = 2;
            while i + 1 < args.len() {
                if is_secret_name(&args[i]) {
                    args[i + 1] = HIDDEN.to_string();
                }
                i += 2;
            }
        }
        ("SENTINEL", "SET") | ("SENTINEL", "CONFIG") => {
            for i in 2..args.len().saturating_sub(1) {
                if is_secret_name(&args[i]) {
                    args[i + 1] = HIDDEN.to_string();
                }
            }
        }
        _ => {}
    }
}

/// A console reply with its secrets hidden, for the command `full` (`NAME` or `NAME SUB`, upper
/// case, the server's own name even when the command was renamed).
pub fn reply(full: &str, reply: Reply) -> Reply {
    match full {
        "CONFIG GET" | "SENTINEL CONFIG" | "SENTINEL MASTER" | "SENTINEL MASTERS"
        | "SENTINEL REPLICAS" | "SENTINEL SLAVES" | "SENTINEL SENTINELS" | "ACL GETUSER" => {
            keyed(reply)
        }
        "ACL LIST" => map_text(reply, &acl_rule),
        "INFO" => map_text(reply, &info_text),
        "CLIENT LIST" | "CLIENT INFO" => map_text(reply, &client_text),
        "SLOWLOG GET" => slowlog(reply),
        _ => reply,
    }
}

fn text_of(r: &Reply) -> Option<&str> {
    match r {
        Reply::Bulk(b) => Some(&b.text),
        Reply::String(s) => Some(s),
        Reply::Verbatim { text, .. } => Some(text),
        _ => None,
    }
}

fn hidden() -> Reply {
    Reply::String(HIDDEN.into())
}

/// Flat `[name, value, …]` arrays and maps: values under a secret name hidden; nested arrays
/// and maps (Sentinel lists, ACL GETUSER selectors) walked too. `passwords` (ACL GETUSER) is
/// hidden whole.
fn keyed(reply: Reply) -> Reply {
    let secret = |k: &Reply| text_of(k).is_some_and(|t| is_secret_name(t) || t == "passwords");
    match reply {
        Reply::Array(items) => {
            let flat =
                items.len() % 2 == 0 && items.iter().step_by(2).all(|k| text_of(k).is_some());
            let mut out = Vec::with_capacity(items.len());
            let mut prev_secret = false;
            for (i, item) in items.into_iter().enumerate() {
                if flat && i % 2 == 1 && prev_secret {
                    out.push(hidden());
                } else {
                    prev_secret = flat && i % 2 == 0 && secret(&item);
                    out.push(keyed(item));
                }
            }
            Reply::Array(out)
        }
        Reply::Map(pairs) => Reply::Map(
            pairs
                .into_iter()
                .map(|(k, v)| {
                    if secret(&k) {
                        (k, hidden())
                    } else {
                        (k, keyed(v))
                    }
                })
                .collect(),
        ),
        Reply::Set(items) => Reply::Set(items.into_iter().map(keyed).collect()),
        other => other,
    }
}

/// Every text in the reply passed through `f` (bulk strings keep their binary form otherwise).
fn map_text(reply: Reply, f: &dyn Fn(&str) -> String) -> Reply {
    match reply {
        Reply::Bulk(b) if !b.binary => Reply::Bulk(Bytes::new(f(&b.text).as_bytes())),
        Reply::String(s) => Reply::String(f(&s)),
        Reply::Verbatim { format, text } => Reply::Verbatim {
            format,
            text: f(&text),
        },
        Reply::Array(items) => Reply::Array(items.into_iter().map(|r| map_text(r, f)).collect()),
        Reply::Set(items) => Reply::Set(items.into_iter().map(|r| map_text(r, f)).collect()),
        other => other,
    }
}

/// SLOWLOG GET entries: the arguments (element 3) of each entry redacted.
fn slowlog(reply: Reply) -> Reply {
    let Reply::Array(entries) = reply else {
        return reply;
    };
    Reply::Array(
        entries
            .into_iter()
            .map(|e| match e {
                Reply::Array(mut fields) => {
                    if let Some(Reply::Array(argv)) = fields.get_mut(3) {
                        let mut texts: Vec<String> = argv
                            .iter()
                            .map(|a| text_of(a).unwrap_or("").to_string())
                            .collect();
                        args(&mut texts);
                        for (a, t) in argv.iter_mut().zip(texts) {
                            if t == HIDDEN {
                                *a = hidden();
                            } else if t.starts_with(['>', '<', '#', '!']) && t.ends_with(HIDDEN) {
                                *a = Reply::String(t);
                            }
                        }
                    }
                    Reply::Array(fields)
                }
                other => other,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Reply {
        Reply::Bulk(Bytes::new(s.as_bytes()))
    }

    #[test]
    fn secret_names_in_any_case() {
        for n in [
            "requirepass",
            "REQUIREPASS",
            "RequirePass",
            "masterauth",
            "primaryauth",
            "tls-key-file-pass",
            "TLS-CLIENT-KEY-FILE-PASS",
            "sentinel-pass",
            "auth-pass",
            "some-future-password",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in ["maxmemory", "tls-auth-clients", "port", "appendonly"] {
            assert!(!is_secret_name(n), "{n}");
        }
    }

    #[test]
    fn config_replies_flat_and_map() {
        let flat = Reply::Array(vec![
            bulk("REQUIREPASS"),
            bulk("s3cret"),
            bulk("maxmemory"),
            bulk("0"),
        ]);
        let shown = serde_json::to_string(&reply("CONFIG GET", flat)).unwrap();
        assert!(
            !shown.contains("s3cret") && shown.contains("maxmemory"),
            "{shown}"
        );
        let map = Reply::Map(vec![(bulk("masterauth"), bulk("s3cret"))]);
        let shown = serde_json::to_string(&reply("CONFIG GET", map)).unwrap();
        assert!(!shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn acl_hashes_and_logged_arguments() {
        assert_eq!(
            acl_rule("user default on #5e884898da ~* &* +@all"),
            "user default on #(hidden) ~* &* +@all"
        );
        let mut a: Vec<String> = ["AUTH", "u", "pw"].iter().map(|s| s.to_string()).collect();
        args(&mut a);
        assert_eq!(a, ["AUTH", HIDDEN, HIDDEN]);
        let mut a: Vec<String> = ["config", "set", "masterauth", "pw", "maxmemory", "1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args(&mut a);
        assert_eq!(a[3], HIDDEN);
        assert_eq!(a[5], "1");
        assert_eq!(
            info_text("# Server\r\nmaster_auth:x\r\nport:1\r\n"),
            "# Server\r\nmaster_auth:(hidden)\r\nport:1\r\n"
        );
    }
}
