//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.

use super::CommandDef;

pub static COMMANDS: &[CommandDef] = &[];
