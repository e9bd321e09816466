//! ACL file text (`aclfile`, ACL LOAD / SAVE) and `user` lines: one
//! `user <name> <rules...>` per line. The core never opens the file: the
//! host hands its contents over (`HostFacts::files`) and ACL SAVE emits
//! `Event::Persist`.

use super::user::User;
use super::Acl;
use bytes::Bytes;

/// The users ACL SAVE writes: ACL LIST's lines, one per line.
pub fn render(acl: &Acl) -> String {
    let mut s = String::new();
    for u in acl.users.values() {
        s.push_str(&format!("user {} {}\n", u.name, u.describe(&acl.index)));
    }
    s
}

/// ACLLoadFromFile over `text`: every user of the file, with a default
/// user (all permissions) if the file has none; or the errors, worded as
/// 7.0 (`file:line: ...`), in which case nothing changes.
pub fn parse(
    acl: &Acl,
    filename: &str,
    text: &str,
    allchannels_default: bool,
) -> Result<crate::vecmap::VecMap<String, User>, String> {
    let mut users: crate::vecmap::VecMap<String, User> = crate::vecmap::VecMap::new();
    let mut errors = String::new();
    let index = acl.index.clone();
    for (i, line) in text.split('\n').enumerate() {
        let linenum = i + 1;
        let line = line.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
        if line.is_empty() {
            continue;
        }
        let argv: Vec<&str> = line.split(' ').filter(|a| !a.is_empty()).collect();
        if argv.is_empty() {
            continue;
        }
        if argv[0] != "user" || argv.len() < 2 {
            errors.push_str(&format!(
                "{filename}:{linenum} should start with user keyword followed by the username. "
            ));
            continue;
        }
        let name = argv[1];
        if super::selector::has_spaces(name.as_bytes()) {
            errors.push_str(&format!(
                "'{filename}:{linenum}: username '{name}' contains invalid characters. "
            ));
            continue;
        }
        if users.contains_key(name) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{name}' found on line {linenum}. "
            ));
            continue;
        }
        let mut u = User::new(name, &index, allchannels_default);
        let rules: Vec<Bytes> = argv[2..]
            .iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect();
        let merged = match super::merge_selector_args(&rules) {
            Ok(m) => m,
            Err(_) => {
                errors.push_str(&format!(
                    "{filename}:{linenum}: Unmatched parenthesis in selector definition."
                ));
                Vec::new()
            }
        };
        let mut syntax_error = false;
        for op in &merged {
            if let Err(e) = u.apply(&index, op, allchannels_default) {
                if e == super::SetError::UnknownCommand {
                    errors.push_str(&format!(
                        "{filename}:{linenum}: Error in applying operation '{}': {}. ",
                        String::from_utf8_lossy(op),
                        e.message()
                    ));
                } else if !syntax_error {
                    errors.push_str(&format!("{filename}:{linenum}: {}. ", e.message()));
                    syntax_error = true;
                }
            }
        }
        users.insert(name.to_string(), u);
    }
    if !errors.is_empty() {
        errors.push_str(
            "WARNING: ACL errors detected, no change to the previously active ACL rules was performed",
        );
        return Err(errors);
    }
    if !users.contains_key("default") {
        let fresh = Acl::new_with_index(index);
        users.insert("default".into(), fresh.default_user().clone());
    }
    Ok(users)
}
