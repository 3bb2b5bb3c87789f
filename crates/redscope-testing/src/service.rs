//! A systemd service started the way systemd starts it, for tests of a shipped unit file where
//! no systemd runs (CI containers): the unit's `ExecStart=` with its `%` specifiers and
//! `$VAR`/`${VAR}` expanded, the environment of `Environment=` and `EnvironmentFile=`, the
//! files of `LoadCredential=` copied into a private credentials folder and `StateDirectory=`
//! made, all under a scratch [`ServiceHost`] whose folders stand in for `/etc`, `/var/lib` and
//! `/run/credentials`. The sandbox settings (`ProtectSystem=`, `DynamicUser=`, …) are not
//! applied: `systemd-analyze verify` and `systemd-analyze security` check those
//! ([`verify_unit`], [`exposure`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use redscope::error::{Error, Result};

fn bad(msg: String) -> Error {
    Error::Config(msg)
}

/// A parsed unit file: every `Key=value` line with its section, in file order.
#[derive(Debug, Clone)]
pub struct Unit {
    name: String,
    entries: Vec<(String, String, String)>,
}

impl Unit {
    /// Reads a unit file (`#`/`;` comments, `[Section]` headers, `Key=value`, `\` continuations).
    pub fn read(path: &Path) -> Result<Unit> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| bad(format!("cannot read {}: {e}", path.display())))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut entries = Vec::new();
        let mut section = String::new();
        let mut pending = String::new();
        for raw in text.lines() {
            let line = raw.trim();
            if pending.is_empty() && (line.is_empty() || line.starts_with(['#', ';'])) {
                continue;
            }
            if let Some(cont) = line.strip_suffix('\\') {
                pending.push_str(cont);
                pending.push(' ');
                continue;
            }
            let line = std::mem::take(&mut pending) + line;
            if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = s.to_string();
                continue;
            }
            let (key, value) = line
                .split_once('=')
                .ok_or_else(|| bad(format!("{}: not a Key=value line: {line:?}", name)))?;
            entries.push((
                section.clone(),
                key.trim().to_string(),
                value.trim().to_string(),
            ));
        }
        Ok(Unit { name, entries })
    }

    /// Every value of `key` in `section`, in order (systemd lets many keys repeat).
    pub fn values(&self, section: &str, key: &str) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|(s, k, _)| s == section && k == key)
            .map(|(_, _, v)| v.as_str())
            .collect()
    }

    /// The last value of `key` in `[Service]`.
    pub fn service(&self, key: &str) -> Option<&str> {
        self.values("Service", key).last().copied()
    }

    /// `LoadCredential=name:path` lines as (name, path).
    pub fn credentials(&self) -> Result<Vec<(String, String)>> {
        self.values("Service", "LoadCredential")
            .into_iter()
            .map(|v| {
                v.split_once(':')
                    .map(|(n, p)| (n.to_string(), p.to_string()))
                    .ok_or_else(|| bad(format!("LoadCredential={v} has no name:path")))
            })
            .collect()
    }

    /// The unit's file name, e.g. `redscope.service`.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A scratch root for one service: the unit's absolute paths (`/etc/redscope/token`) live under
/// it, and it holds the service's state and credentials folders. Removed on drop.
#[derive(Debug)]
pub struct ServiceHost {
    root: tempfile::TempDir,
}

impl ServiceHost {
    pub fn new() -> Result<ServiceHost> {
        Ok(ServiceHost {
            root: tempfile::tempdir()?,
        })
    }

    /// Where the absolute path `abs` of the unit lives on this host.
    pub fn path(&self, abs: &str) -> PathBuf {
        self.root.path().join(abs.trim_start_matches('/'))
    }

    /// Writes `contents` to the absolute path `abs` with `mode`, making its folders.
    pub fn write(&self, abs: &str, contents: impl AsRef<[u8]>, mode: u32) -> Result<PathBuf> {
        use std::os::unix::fs::PermissionsExt;
        let path = self.path(abs);
        std::fs::create_dir_all(path.parent().expect("an absolute path has a parent"))?;
        std::fs::write(&path, contents)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
        Ok(path)
    }

    /// The credentials folder of `unit` (`%d`, `$CREDENTIALS_DIRECTORY`).
    pub fn credentials_dir(&self, unit: &Unit) -> PathBuf {
        self.path(&format!("/run/credentials/{}", unit.name()))
    }

    /// The command systemd would run for `unit`'s `ExecStart=`, with `binary` in place of the
    /// unit's absolute program path, after doing what systemd does before it: credentials
    /// copied (read-only, owner only), state folders made, the environment built from nothing
    /// but systemd's defaults, `Environment=` and then `EnvironmentFile=` (whose settings win).
    pub fn command(&self, unit: &Unit, binary: &Path) -> Result<Command> {
        use std::os::unix::fs::PermissionsExt;
        let creds = self.credentials_dir(unit);
        std::fs::create_dir_all(&creds)?;
        for (name, source) in unit.credentials()? {
            let from = self.path(&source);
            let to = creds.join(&name);
            std::fs::copy(&from, &to).map_err(|e| {
                bad(format!(
                    "LoadCredential={name}:{source}: {e} (systemd would refuse to start)"
                ))
            })?;
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o400))?;
        }
        let specifiers = |s: &str| self.specifiers(unit, s);
        let mut env: BTreeMap<String, String> = BTreeMap::new();
        env.insert(
            "PATH".into(),
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin".into(),
        );
        // DynamicUser= services get these (systemd.exec(5), "Environment Variables").
        env.insert("HOME".into(), "/".into());
        env.insert("CREDENTIALS_DIRECTORY".into(), creds.display().to_string());
        let mut states = Vec::new();
        for names in unit.values("Service", "StateDirectory") {
            for name in names.split_whitespace() {
                let dir = self.path("/var/lib").join(name);
                std::fs::create_dir_all(&dir)?;
                if let Some(mode) = unit.service("StateDirectoryMode") {
                    let mode = u32::from_str_radix(mode, 8)
                        .map_err(|_| bad(format!("StateDirectoryMode={mode}")))?;
                    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode))?;
                }
                states.push(dir.display().to_string());
            }
        }
        if !states.is_empty() {
            env.insert("STATE_DIRECTORY".into(), states.join(":"));
        }
        for line in unit.values("Service", "Environment") {
            for word in split_words(line)? {
                let (k, v) = word
                    .split_once('=')
                    .ok_or_else(|| bad(format!("Environment={line}: {word:?} is no VAR=value")))?;
                env.insert(k.to_string(), specifiers(v)?);
            }
        }
        for file in unit.values("Service", "EnvironmentFile") {
            let (optional, file) = match file.strip_prefix('-') {
                Some(f) => (true, f),
                None => (false, file),
            };
            match std::fs::read_to_string(self.path(&specifiers(file)?)) {
                Ok(text) => env.extend(parse_env_file(&text)),
                Err(_) if optional => {}
                Err(e) => {
                    return Err(bad(format!(
                        "EnvironmentFile={file}: {e} (systemd would refuse to start)"
                    )))
                }
            }
        }
        let line = unit
            .service("ExecStart")
            .ok_or_else(|| bad("no ExecStart=".into()))?;
        let mut argv = Vec::new();
        for word in split_words(line)? {
            let word = specifiers(&word)?;
            argv.extend(expand_vars(&word, &env));
        }
        let program = argv.first().cloned().unwrap_or_default();
        if !program.starts_with('/') {
            return Err(bad(format!(
                "ExecStart= must start with an absolute path (prefixes such as - or + are not emulated): {program:?}"
            )));
        }
        let mut cmd = Command::new(binary);
        cmd.args(&argv[1..])
            .env_clear()
            .envs(&env)
            .current_dir("/")
            .stdin(Stdio::null());
        Ok(cmd)
    }

    /// Expands the `%` specifiers a system service's settings may use here.
    fn specifiers(&self, unit: &Unit, s: &str) -> Result<String> {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('%') => out.push('%'),
                Some('d') => out.push_str(&self.credentials_dir(unit).display().to_string()),
                Some('S') => out.push_str(&self.path("/var/lib").display().to_string()),
                Some('n') => out.push_str(unit.name()),
                other => {
                    return Err(bad(format!(
                        "specifier %{} in {s:?} is not emulated: add it to ServiceHost",
                        other.map(String::from).unwrap_or_default()
                    )))
                }
            }
        }
        Ok(out)
    }
}

/// Splits a command line or an `Environment=` value into words as systemd does: at whitespace,
/// with "double" and 'single' quotes grouping and `\` escaping one character.
pub fn split_words(line: &str) -> Result<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (_, '\\') => {
                word.push(chars.next().unwrap_or('\\'));
                in_word = true;
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err(bad(format!("unbalanced quote in {line:?}")));
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// Expands environment variables in one word of `ExecStart=` (systemd.service(5), "Command
/// lines"): a word that is exactly `$VAR` becomes the value split at whitespace (zero or more
/// words); `${VAR}` anywhere becomes the exact value inside the word. Unset variables are empty.
pub fn expand_vars(word: &str, env: &BTreeMap<String, String>) -> Vec<String> {
    let get = |name: &str| env.get(name).cloned().unwrap_or_default();
    if let Some(name) = word.strip_prefix('$') {
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return get(name).split_whitespace().map(String::from).collect();
        }
    }
    let mut out = String::new();
    let mut rest = word;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        match rest[at + 2..].find('}') {
            Some(end) => {
                out.push_str(&get(&rest[at + 2..at + 2 + end]));
                rest = &rest[at + 2 + end + 1..];
            }
            None => {
                out.push_str(&rest[at..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    vec![out]
}

/// Parses an `EnvironmentFile=`: `VAR=value` lines, `#`/`;` comments, values optionally quoted.
pub fn parse_env_file(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with(['#', ';']))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            let v = v.trim();
            let unquoted = [('"', '"'), ('\'', '\'')]
                .iter()
                .find_map(|(a, b)| v.strip_prefix(*a)?.strip_suffix(*b))
                .unwrap_or(v);
            (k.trim().to_string(), unquoted.to_string())
        })
        .collect()
}

/// Rewrites the `VAR=` line of an environment file to `VAR=value`, keeping everything else as
/// shipped. Fails when the file has no such line: a test may only adjust shipped settings.
pub fn set_env_line(text: &str, var: &str, value: &str) -> Result<String> {
    let mut found = false;
    let out: Vec<String> = text
        .lines()
        .map(|l| match l.trim().split_once('=') {
            Some((k, _)) if k.trim() == var && !l.trim_start().starts_with(['#', ';']) => {
                found = true;
                format!("{var}={value}")
            }
            _ => l.to_string(),
        })
        .collect();
    if !found {
        return Err(bad(format!("the environment file sets no {var}")));
    }
    Ok(out.join("\n") + "\n")
}

/// `systemd-analyze verify` on `unit_file` with its program path replaced by `binary` (the
/// unit names where a package installs it): syntax, known settings, an executable program.
pub fn verify_unit(unit_file: &Path, program: &str, binary: &Path) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let text = std::fs::read_to_string(unit_file)?;
    let copy = dir.path().join(unit_file.file_name().unwrap_or_default());
    std::fs::write(
        &copy,
        text.replace(
            &format!("ExecStart={program} "),
            &format!("ExecStart={} ", binary.display()),
        ),
    )?;
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&copy)
        .output()
        .map_err(|e| {
            bad(format!(
                "systemd-analyze: {e} (install systemd: scripts/dev setup)"
            ))
        })?;
    let complaints = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() || !complaints.trim().is_empty() {
        return Err(bad(format!(
            "systemd-analyze verify {}: {complaints}",
            unit_file.display()
        )));
    }
    Ok(())
}

/// The exposure `systemd-analyze security --offline=true` gives the unit (0 = locked down,
/// 10 = unprotected; "OK" is at most 4.9 in systemd's words, "MEDIUM" up to 6.9).
pub fn exposure(unit_file: &Path) -> Result<f64> {
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(unit_file)
        .output()
        .map_err(|e| {
            bad(format!(
                "systemd-analyze: {e} (install systemd: scripts/dev setup)"
            ))
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| {
            let rest = l.split("Overall exposure level for ").nth(1)?;
            rest.split(": ")
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .ok_or_else(|| {
            bad(format!(
                "no exposure level in systemd-analyze security's answer: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_expand_as_systemd_documents() {
        let env: BTreeMap<String, String> = [
            ("ONE".to_string(), "a b".to_string()),
            ("EMPTY".to_string(), String::new()),
        ]
        .into();
        assert_eq!(expand_vars("$ONE", &env), ["a", "b"]);
        assert_eq!(expand_vars("$EMPTY", &env), Vec::<String>::new());
        assert_eq!(expand_vars("$UNSET", &env), Vec::<String>::new());
        assert_eq!(expand_vars("${ONE}", &env), ["a b"]);
        assert_eq!(expand_vars("x=${ONE}/y", &env), ["x=a b/y"]);
        assert_eq!(expand_vars("${UNSET}", &env), [""]);
        assert_eq!(
            split_words(r#"/bin/x "a b" 'c d' e\ f"#).unwrap(),
            ["/bin/x", "a b", "c d", "e f"]
        );
        assert!(split_words("\"open").is_err());
    }

    #[test]
    fn environment_files_keep_comments_out_and_unquote() {
        let vars = parse_env_file("# c\n; c\nA=1\n B = \"two words\" \nC='x'\n\nD=\n");
        assert_eq!(
            vars,
            [
                ("A".into(), "1".into()),
                ("B".into(), "two words".into()),
                ("C".into(), "x".into()),
                ("D".into(), String::new())
            ]
        );
        let changed = set_env_line("#A=0\nA=1\nB=2\n", "A", "9").unwrap();
        assert_eq!(changed, "#A=0\nA=9\nB=2\n");
        assert!(set_env_line("B=2\n", "A", "9").is_err());
    }
}
