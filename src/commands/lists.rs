//! List commands, including the blocking BLPOP/BRPOP/BLMOVE.

use super::CommandDef;

pub static COMMANDS: &[CommandDef] = &[];
