//! Pub/sub: SUBSCRIBE, PUBLISH, PUBSUB, ...

use super::CommandDef;

pub static COMMANDS: &[CommandDef] = &[];
