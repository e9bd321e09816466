//! Sorted set commands.

use super::CommandDef;

pub static COMMANDS: &[CommandDef] = &[];
