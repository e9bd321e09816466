//! Hash commands: HSET, HGET, ...

use super::CommandDef;

pub static COMMANDS: &[CommandDef] = &[];
