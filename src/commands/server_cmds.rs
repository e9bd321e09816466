//! Server commands: INFO, CONFIG, CLIENT, COMMAND, DEBUG, FLUSHALL, ...

use super::CommandDef;

pub static COMMANDS: &[CommandDef] = &[];
