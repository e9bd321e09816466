//! YAML text → a small tree that remembers where each node was written.
//!
//! Built from yaml-rust2's event parser rather than its `Yaml` values, so
//! that errors can name a line, scalars keep the text the person wrote
//! (`06379`, `yes`), and hostile input stays bounded: nesting deeper than
//! [`MAX_DEPTH`] and alias expansion beyond [`MAX_NODES`] nodes (the
//! "billion laughs") are refused before they cost memory or stack. Merge
//! keys (`<<: *defaults`), common in Compose files, are applied here.

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

use super::ComposeError;

/// Deeper than any Compose file needs; keeps recursion over the tree shallow.
pub const MAX_DEPTH: usize = 64;
/// Nodes in the whole document once aliases are expanded.
pub const MAX_NODES: usize = 200_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// `~`, `null`, or nothing at all.
    Null,
    /// Any scalar, as written (quotes removed). `plain` says it was unquoted.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    /// Entries in file order; keys are scalars (checked while building).
    Map(Vec<(String, Node)>),
}

/// A node and the 1-based line and column where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub value: Value,
    pub line: usize,
    pub col: usize,
}

impl Node {
    /// `line L column C` for messages.
    pub fn at(&self) -> String {
        format!("line {} column {}", self.line, self.col)
    }

    /// The map's entries, if it is one.
    pub fn as_map(&self) -> Option<&[(String, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// What kind of node this is, for "expected a list, found a map".
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "nothing",
            Value::Scalar { .. } => "a single value",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a map",
        }
    }

    fn size(&self) -> usize {
        match &self.value {
            Value::Null | Value::Scalar { .. } => 1,
            Value::Seq(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            Value::Map(entries) => 1 + entries.iter().map(|(_, v)| 1 + v.size()).sum::<usize>(),
        }
    }
}

/// A collection being filled while its events arrive.
enum Open {
    Seq(Vec<Node>),
    Map {
        entries: Vec<(String, Node)>,
        key: Option<Node>,
        /// Keys that came from `<<` merges: a key written in the map replaces them.
        merged: Vec<String>,
    },
}

struct Frame {
    open: Open,
    anchor: usize,
    line: usize,
    col: usize,
}

/// Parse one YAML document. An empty text gives `None`.
pub fn parse(text: &str) -> Result<Option<Node>, ComposeError> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: Vec<(usize, Node)> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;
    let mut nodes = 0usize;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| {
            ComposeError(format!(
                "line {} column {}: {}",
                e.marker().line(),
                e.marker().col() + 1,
                e.info()
            ))
        })?;
        let (line, col) = (mark.line(), mark.col() + 1);
        let here = |msg: &str| ComposeError(format!("line {line} column {col}: {msg}"));
        let finished: Option<(Node, usize)> = match event {
            Event::StreamEnd => break,
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => None,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(here(
                        "a Compose file holds one YAML document (found a second `---`)",
                    ));
                }
                None
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(here(&format!("nested deeper than {MAX_DEPTH} levels")));
                }
                let open = if matches!(event, Event::SequenceStart(..)) {
                    Open::Seq(Vec::new())
                } else {
                    Open::Map {
                        entries: Vec::new(),
                        key: None,
                        merged: Vec::new(),
                    }
                };
                stack.push(Frame {
                    open,
                    anchor,
                    line,
                    col,
                });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let frame = stack.pop().expect("the parser balances starts and ends");
                let value = match frame.open {
                    Open::Seq(items) => Value::Seq(items),
                    Open::Map { entries, .. } => Value::Map(entries),
                };
                let node = Node {
                    value,
                    line: frame.line,
                    col: frame.col,
                };
                Some((node, frame.anchor))
            }
            Event::Scalar(text, style, anchor, _tag) => {
                let plain = style == TScalarStyle::Plain;
                let is_null = plain && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL");
                let value = if is_null {
                    Value::Null
                } else {
                    Value::Scalar { text, plain }
                };
                Some((Node { value, line, col }, anchor))
            }
            Event::Alias(id) => {
                let Some((_, node)) = anchors.iter().rev().find(|(a, _)| *a == id) else {
                    return Err(here("an alias refers to an unknown anchor"));
                };
                let size = node.size();
                if stack.len() + depth(node) > MAX_DEPTH {
                    return Err(here(&format!("nested deeper than {MAX_DEPTH} levels")));
                }
                nodes += size;
                if nodes > MAX_NODES {
                    return Err(here(&format!(
                        "aliases expand to more than {MAX_NODES} nodes"
                    )));
                }
                Some((node.clone(), 0))
            }
        };
        let Some((node, anchor)) = finished else {
            continue;
        };
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(here(&format!("more than {MAX_NODES} nodes")));
        }
        if anchor > 0 {
            anchors.push((anchor, node.clone()));
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame {
                open: Open::Seq(items),
                ..
            }) => items.push(node),
            Some(Frame {
                open:
                    Open::Map {
                        entries,
                        key,
                        merged,
                    },
                ..
            }) => match key.take() {
                None => *key = Some(node),
                Some(k) => add_entry(entries, merged, k, node)?,
            },
        }
    }
    Ok(root)
}

fn depth(node: &Node) -> usize {
    match &node.value {
        Value::Null | Value::Scalar { .. } => 1,
        Value::Seq(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Map(entries) => 1 + entries.iter().map(|(_, v)| depth(v)).max().unwrap_or(0),
    }
}

/// Add `key: value` to a map: keys must be scalars and unique; `<<` merges.
fn add_entry(
    entries: &mut Vec<(String, Node)>,
    merged: &mut Vec<String>,
    key: Node,
    value: Node,
) -> Result<(), ComposeError> {
    let key_at = key.at();
    let (text, plain) = match key.value {
        Value::Scalar { text, plain } => (text, plain),
        Value::Null => (String::new(), true),
        _ => {
            return Err(ComposeError(format!(
                "{}: a key must be a single value, not {}",
                key.at(),
                key.kind()
            )))
        }
    };
    if plain && text == "<<" {
        // Merge keys: the merged maps' entries, unless this map already has them.
        let sources = match value.value {
            Value::Map(_) => vec![value],
            Value::Seq(items) => items,
            _ => {
                return Err(ComposeError(format!(
                    "{}: `<<` merges a map or a list of maps, not {}",
                    value.at(),
                    value.kind()
                )))
            }
        };
        for source in sources {
            let Value::Map(from) = source.value else {
                return Err(ComposeError(format!(
                    "{}: `<<` merges maps, not {}",
                    source.at(),
                    source.kind()
                )));
            };
            for (k, v) in from {
                if !entries.iter().any(|(e, _)| *e == k) {
                    merged.push(k.clone());
                    entries.push((k, v));
                }
            }
        }
        return Ok(());
    }
    if let Some(pos) = entries.iter().position(|(e, _)| *e == text) {
        // A key merged in gives way to one written here; written twice is an error.
        let Some(m) = merged.iter().position(|k| *k == text) else {
            return Err(ComposeError(format!(
                "{key_at}: key {text:?} appears twice in the same map"
            )));
        };
        merged.remove(m);
        entries.remove(pos);
    }
    entries.push((text, value));
    Ok(())
}
