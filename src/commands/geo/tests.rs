//! Geo command tests through the test kit.

use crate::commands::testkit::{Kit, WRONGTYPE};

#[test]
fn geo_add_pos_dist_hash() {
    let mut t = Kit::new();
    assert_eq!(
        t.cmd(1, "GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania"),
        ":2\r\n"
    );
    let _ = WRONGTYPE;
}
