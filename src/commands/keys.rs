//! Generic key commands: DEL, EXISTS, EXPIRE, SCAN, ...

use super::CommandDef;

pub static COMMANDS: &[CommandDef] = &[];
