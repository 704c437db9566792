//! Reading `docs/FORMATS.md`: its sections, and the flag tables of its command sections.
//!
//! A section runs from its heading to the next heading of the same or a higher level;
//! lines inside fenced code blocks are never headings (a `# comment` in a Python example
//! does not end a section). A flag table row is a table line whose first cell starts
//! with a code span naming a long flag, `` `--horizon T` ``; its second cell is the
//! default, its third what the flag does.

use std::path::PathBuf;

/// The document, split into sections.
pub struct Document {
    pub path: PathBuf,
    pub sections: Vec<Section>,
}

/// One heading and the text under it, subsections included.
pub struct Section {
    /// The heading text without its `#` marks.
    pub heading: String,
    /// Line number of the heading, counting from 1.
    pub line: usize,
    pub body: String,
}

/// One row of a flag table.
pub struct FlagRow {
    /// The long name without its dashes.
    pub name: String,
    pub default: String,
    /// The whole row, for finding the possible values.
    pub text: String,
    /// Line number of the row, counting from 1.
    pub line: usize,
}

impl Document {
    /// Read `docs/FORMATS.md` of this repository.
    pub fn read() -> Self {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/FORMATS.md");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        Self {
            sections: sections(&text),
            path,
        }
    }

    /// The section whose heading is exactly `heading`.
    pub fn section(&self, heading: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.heading == heading)
    }

    /// The section whose heading contains `text` as a code span, `` `text` ``.
    pub fn section_naming(&self, text: &str) -> Option<&Section> {
        let span = format!("`{text}`");
        self.sections.iter().find(|s| s.heading.contains(&span))
    }
}

impl Section {
    /// The rows of the flag tables in this section.
    pub fn flag_rows(&self) -> Vec<FlagRow> {
        self.body
            .lines()
            .enumerate()
            .filter_map(|(i, line)| {
                let cells = table_cells(line)?;
                let name = cells.first()?.strip_prefix("`--")?;
                let name_end = name.find([' ', '`']).unwrap_or(name.len());
                Some(FlagRow {
                    name: name[..name_end].to_string(),
                    default: cells.get(1).cloned().unwrap_or_default(),
                    text: line.to_string(),
                    line: self.line + i,
                })
            })
            .collect()
    }

    /// Whether the section names `key` as a code span or a JSON string.
    pub fn mentions(&self, key: &str) -> bool {
        self.body.contains(&format!("`{key}`")) || self.body.contains(&format!("\"{key}\""))
    }
}

/// The trimmed cells of a Markdown table line (`\|` inside a cell does not split it).
fn table_cells(line: &str) -> Option<Vec<String>> {
    let inner = line.trim().strip_prefix('|')?.strip_suffix('|')?;
    let mut cells = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cells.last_mut().expect("one cell").push('|');
                chars.next();
            }
            '|' => cells.push(String::new()),
            c => cells.last_mut().expect("one cell").push(c),
        }
    }
    Some(cells.iter().map(|c| c.trim().to_string()).collect())
}

fn sections(text: &str) -> Vec<Section> {
    let lines: Vec<&str> = text.lines().collect();
    let mut in_code = false;
    let mut headings = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code {
            let level = line.chars().take_while(|c| *c == '#').count();
            if level > 0 && line[level..].starts_with(' ') {
                headings.push((i, level, line[level..].trim().to_string()));
            }
        }
    }
    headings
        .iter()
        .enumerate()
        .map(|(k, (start, level, heading))| {
            let end = headings[k + 1..]
                .iter()
                .find(|(_, l, _)| l <= level)
                .map_or(lines.len(), |(i, _, _)| *i);
            Section {
                heading: heading.clone(),
                line: start + 1,
                body: lines[*start..end].join("\n"),
            }
        })
        .collect()
}
