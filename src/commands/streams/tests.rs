use crate::commands::testkit::Kit;

#[test]
fn placeholder() {
    let mut t = Kit::new();
    assert_eq!(t.cmd(1, "XLEN nokey"), ":0\r\n");
}
