//! Set commands.

use super::CommandDef;

pub static COMMANDS: &[CommandDef] = &[];
