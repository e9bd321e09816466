//! String commands: GET, SET, INCR, ...

use super::CommandDef;

pub static COMMANDS: &[CommandDef] = &[];
