//! A snapshot writes the data as it was when it began, whatever happens to
//! the table meanwhile: new keys (past the growth a pinned table allows),
//! deletions (which would shrink and compact an unpinned one), overwrites.

use super::*;
use std::collections::BTreeMap;

fn string(s: &str) -> Object {
    Object::new(Value::Str(Bytes::from(s.to_string()).into()))
}

fn take(seen: &mut BTreeMap<Vec<u8>, Vec<u8>>, k: &[u8], o: &Object) {
    let Value::Str(s) = &o.value else {
        panic!("a string");
    };
    assert!(
        seen.insert(k.to_vec(), s[..].to_vec()).is_none(),
        "{} written twice",
        String::from_utf8_lossy(k)
    );
}

#[test]
fn a_snapshot_writes_the_data_at_its_start_whatever_changes_meanwhile() {
    let mut db = Db::default();
    for i in 0..1000 {
        db.set(Bytes::from(format!("k{i}")), string(&format!("old{i}")));
    }
    db.begin_snapshot(0);
    let mut seen = BTreeMap::new();
    db.snapshot_walk(100, |k, o, _| take(&mut seen, k, o));
    for i in 0..6000 {
        db.set(Bytes::from(format!("new{i}")), string("n"));
    }
    for i in (0..1000).step_by(2) {
        db.remove(format!("k{i}").as_bytes());
    }
    for i in (1..1000).step_by(3) {
        db.set(Bytes::from(format!("k{i}")), string("changed"));
    }
    for i in 0..6000 {
        db.remove(format!("new{i}").as_bytes());
    }
    while !db.snapshot_walk(100, |k, o, _| take(&mut seen, k, o)).done {}
    for (k, o, _) in db.end_snapshot() {
        take(&mut seen, &k, &o);
    }
    assert_eq!(seen.len(), 1000);
    for i in 0..1000 {
        let k = format!("k{i}");
        assert_eq!(seen[k.as_bytes()], format!("old{i}").as_bytes(), "{k}");
    }
}
