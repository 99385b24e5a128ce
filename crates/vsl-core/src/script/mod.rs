//! The copywriter's script: what the slides show when a VSL is written before it is
//! recorded.
//!
//! [`Script::load`] reads `.txt` and `.md` (UTF-8) and `.docx` (through `docx-rs`);
//! [`Script::parse`] takes pasted text. One line is a phrase; a blank line or a `---` line is
//! a hard slide break; `*word*` (or Markdown's `**word**`) marks a highlight, as in
//! `slides.json`. Markdown headings, bullets and quote marks are dropped; the copywriter's
//! spelling, capitals, punctuation, digits and symbols are kept exactly ("90%",
//! "R$ 49,90", "12x").
//!
//! [`align`] matches the script to what Whisper heard, over the whole file, so every script
//! word gets a time, and reports what the voice skipped and what it added.

pub mod align;
pub mod spoken;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ErrorKind;
use crate::text::{is_currency, is_number, split_edges};

pub use align::{align, AlignedLine, AlignedWord, Alignment, LineStatus, Unscripted, WordStatus};

/// File extensions a script may have.
pub const SCRIPT_EXTENSIONS: &[&str] = &["txt", "md", "markdown", "docx"];

/// The script next to a media file, with its stem (`talk.mp4` → `talk.txt`, `talk.md`,
/// `talk.docx`), as a watched folder pairs them.
pub fn beside(media: &Path) -> Option<PathBuf> {
    SCRIPT_EXTENSIONS
        .iter()
        .map(|extension| media.with_extension(extension))
        .find(|path| path.is_file())
}

/// One word as the copywriter wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScriptWord {
    /// As written, with its punctuation ("90%", "R$ 49,90", "Hoje,").
    pub text: String,
    /// Marked as a highlight (`*word*`).
    pub highlight: bool,
}

impl ScriptWord {
    /// As the slides show it: highlights in `*word*` markup.
    pub fn display(&self) -> String {
        if self.highlight {
            let (leading, core, trailing) = split_edges(&self.text);
            format!("{leading}*{core}*{trailing}")
        } else {
            self.text.clone()
        }
    }
}

/// One phrase of the script.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScriptLine {
    /// 1-based, over the script's non-empty, non-`---` lines in file order.
    pub number: usize,
    /// As written (markup removed, highlights as `*word*`).
    pub text: String,
    pub words: Vec<ScriptWord>,
    /// A blank line or `---` comes before it: no slide may span the two.
    pub break_before: bool,
}

/// A parsed script.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Script {
    /// The file's name (or `pasted`).
    pub name: String,
    pub lines: Vec<ScriptLine>,
}

/// Why a script cannot be used. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    #[error("{}: cannot read the script: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: a script is a .txt, .md or .docx file", path.display())]
    Unsupported { path: PathBuf },
    #[error("{}: not a text file (a script is UTF-8 text, Markdown or a Word document)", path.display())]
    Binary { path: PathBuf },
    #[error("{}: not a Word document that can be read ({reason})", path.display())]
    Docx { path: PathBuf, reason: String },
    #[error("{}: the script has no words", path.display())]
    Empty { path: PathBuf },
    #[error(
        "{}: the script has {words} words, far more than {seconds:.0} s of voice-over can say; is it the script of another video?",
        path.display()
    )]
    TooLong {
        path: PathBuf,
        words: usize,
        seconds: f64,
    },
    #[error(
        "{}: the script does not match this voice-over (only {:.0} % of its words were heard)",
        path.display(),
        matched * 100.0
    )]
    Mismatch { path: PathBuf, matched: f64 },
}

impl ScriptError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            ScriptError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                ErrorKind::NotFound
            }
            ScriptError::Io { .. } => ErrorKind::Io,
            ScriptError::Unsupported { .. }
            | ScriptError::Binary { .. }
            | ScriptError::Docx { .. }
            | ScriptError::Empty { .. }
            | ScriptError::TooLong { .. } => ErrorKind::InvalidScript,
            ScriptError::Mismatch { .. } => ErrorKind::ScriptMismatch,
        }
    }
}

impl Script {
    /// Reads a `.txt`, `.md` or `.docx` script.
    pub fn load(path: &Path) -> Result<Script, ScriptError> {
        let extension = path
            .extension()
            .and_then(|extension| extension.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        if !SCRIPT_EXTENSIONS.contains(&extension.as_str()) {
            return Err(ScriptError::Unsupported {
                path: path.to_path_buf(),
            });
        }
        let bytes = std::fs::read(path).map_err(|source| ScriptError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let text = if extension == "docx" {
            docx_text(path, &bytes)?
        } else {
            text_of(path, &bytes)?
        };
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        Script::parse(&text, &name).map_err(|()| ScriptError::Empty {
            path: path.to_path_buf(),
        })
    }

    /// Parses script text; `Err` when it holds no word.
    #[allow(
        clippy::result_unit_err,
        reason = "the caller names the file in its error"
    )]
    pub fn parse(text: &str, name: &str) -> Result<Script, ()> {
        let mut lines = Vec::new();
        let mut break_before = false;
        for raw in text.lines() {
            let line = strip_markdown(raw.trim());
            if line.is_empty() || is_rule(line) {
                break_before = !lines.is_empty();
                continue;
            }
            let words = words_of(line);
            if words.is_empty() {
                continue;
            }
            let text = words
                .iter()
                .map(ScriptWord::display)
                .collect::<Vec<_>>()
                .join(" ");
            lines.push(ScriptLine {
                number: lines.len() + 1,
                text,
                words,
                break_before,
            });
            break_before = false;
        }
        if lines.is_empty() {
            return Err(());
        }
        Ok(Script {
            name: name.to_owned(),
            lines,
        })
    }

    pub fn word_count(&self) -> usize {
        self.lines.iter().map(|line| line.words.len()).sum()
    }

    /// Distinctive words (names, brands, capitalised or long ones) to bias the decoder
    /// towards the script's spelling, at most `limit` characters in all.
    pub fn vocabulary(&self, limit: usize) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        let mut terms = Vec::new();
        let mut length = 0;
        for word in self.lines.iter().flat_map(|line| &line.words) {
            let (_, core, _) = split_edges(&word.text);
            let distinctive = core.chars().next().is_some_and(char::is_uppercase)
                && core.chars().count() > 2
                || core.chars().any(|c| c.is_ascii_digit()) && core.len() > 1;
            if !distinctive || !seen.insert(core.to_lowercase()) {
                continue;
            }
            if length + core.len() + 2 > limit {
                break;
            }
            length += core.len() + 2;
            terms.push(core.to_owned());
        }
        terms
    }
}

/// `---`, `***`, `___` (three or more): a Markdown rule, a hard break.
fn is_rule(line: &str) -> bool {
    let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    compact.len() >= 3
        && (compact.chars().all(|c| c == '-')
            || compact.chars().all(|c| c == '*')
            || compact.chars().all(|c| c == '_'))
}

/// Drops a heading's `#`s, a bullet, a numbered list's `1.` and a quote's `>`.
fn strip_markdown(line: &str) -> &str {
    let mut line = line;
    if line.starts_with('#') {
        line = line.trim_start_matches('#').trim_start();
    }
    if let Some(rest) = line.strip_prefix("> ") {
        line = rest.trim_start();
    }
    for bullet in ["- ", "* ", "+ ", "• "] {
        if let Some(rest) = line.strip_prefix(bullet) {
            return rest.trim_start();
        }
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && digits < 4 {
        if let Some(rest) = line[digits..].strip_prefix(". ") {
            return rest.trim_start();
        }
    }
    line
}

/// The words of a line, highlights found and removed from the text, a currency sign joined
/// to its amount ("R$ 49,90" is one word: it is one thing to say and to show).
fn words_of(line: &str) -> Vec<ScriptWord> {
    let line = line.replace("**", "*");
    let mut words: Vec<ScriptWord> = Vec::new();
    let mut in_highlight = false;
    for raw in line.split_whitespace() {
        let opens = raw
            .trim_start_matches(|c: char| !c.is_alphanumeric() && c != '*')
            .starts_with('*');
        let closes = raw
            .trim_end_matches(|c: char| !c.is_alphanumeric() && c != '*')
            .ends_with('*');
        let text: String = raw.chars().filter(|c| *c != '*').collect();
        if text.is_empty() {
            // A lone `*` opens or closes a highlight around the next words.
            in_highlight = !in_highlight;
            continue;
        }
        let highlight = in_highlight || opens;
        if opens && !closes {
            in_highlight = true;
        }
        if closes && (in_highlight || opens) {
            in_highlight = false;
        }
        let (_, core, _) = split_edges(&text);
        let joins_price = words.last().is_some_and(|previous| {
            let (_, previous_core, trailing) = split_edges(&previous.text);
            trailing.is_empty() && is_currency(previous_core)
        }) && is_number(core);
        if joins_price {
            if let Some(previous) = words.last_mut() {
                previous.text = format!("{} {text}", previous.text);
                previous.highlight |= highlight;
            }
            continue;
        }
        words.push(ScriptWord { text, highlight });
    }
    words
}

/// UTF-8 text (a BOM is dropped); anything with NUL bytes or invalid UTF-8 is refused.
fn text_of(path: &Path, bytes: &[u8]) -> Result<String, ScriptError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.contains(&0) {
        return Err(ScriptError::Binary {
            path: path.to_path_buf(),
        });
    }
    String::from_utf8(bytes.to_vec()).map_err(|_| ScriptError::Binary {
        path: path.to_path_buf(),
    })
}

/// The text of a Word document, a line per paragraph (table cells too).
fn docx_text(path: &Path, bytes: &[u8]) -> Result<String, ScriptError> {
    use docx_rs::{
        DocumentChild, ParagraphChild, RunChild, TableCellContent, TableChild, TableRowChild,
    };

    fn paragraph_text(paragraph: &docx_rs::Paragraph, out: &mut String) {
        for child in &paragraph.children {
            let run = match child {
                ParagraphChild::Run(run) => run,
                ParagraphChild::Hyperlink(link) => {
                    for child in &link.children {
                        if let ParagraphChild::Run(run) = child {
                            run_text(run, out);
                        }
                    }
                    continue;
                }
                _ => continue,
            };
            run_text(run, out);
        }
        out.push('\n');
    }
    fn run_text(run: &docx_rs::Run, out: &mut String) {
        // `Bold` keeps its on/off flag private; its serialized form is that flag.
        let bold = run
            .run_property
            .bold
            .as_ref()
            .is_some_and(|bold| serde_json::to_value(bold).is_ok_and(|on| on == true));
        let mut text = String::new();
        for child in &run.children {
            match child {
                RunChild::Text(piece) => text.push_str(&piece.text),
                RunChild::Tab(_) => text.push(' '),
                RunChild::Break(_) | RunChild::CarriageReturn(_) => text.push('\n'),
                _ => {}
            }
        }
        // Bold in Word is the copywriter's highlight.
        if bold && !text.trim().is_empty() {
            let leading = &text[..text.len() - text.trim_start().len()];
            let trailing = &text[text.trim_end().len()..];
            out.push_str(&format!("{leading}*{}*{trailing}", text.trim()));
        } else {
            out.push_str(&text);
        }
    }

    // docx-rs 0.4 unwraps some zip read errors (a damaged entry's checksum) instead of
    // returning them, found by tests/it/fuzz.rs: a corrupt file must be a refusal, not a
    // crash, so its panic is caught here (panics unwind: no profile sets `panic = "abort"`).
    let read = std::panic::catch_unwind(|| docx_rs::read_docx(bytes));
    let document = match read {
        Ok(result) => result.map_err(|error| error.to_string()),
        Err(_) => Err("the archive is damaged".to_owned()),
    }
    .map_err(|reason| ScriptError::Docx {
        path: path.to_path_buf(),
        reason,
    })?;
    let mut text = String::new();
    for child in &document.document.children {
        match child {
            DocumentChild::Paragraph(paragraph) => paragraph_text(paragraph, &mut text),
            DocumentChild::Table(table) => {
                for TableChild::TableRow(row) in &table.rows {
                    for TableRowChild::TableCell(cell) in &row.cells {
                        for content in &cell.children {
                            if let TableCellContent::Paragraph(paragraph) = content {
                                paragraph_text(paragraph, &mut text);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(text)
}

#[cfg(test)]
#[allow(clippy::disallowed_methods, reason = "fixtures are written directly")]
mod tests {
    use super::*;

    #[test]
    fn lines_breaks_highlights_and_markdown() {
        let script = Script::parse(
            "# Título\n\nHoje você vai *descobrir* 3 passos.\n- Por apenas R$ 49,90 em 12x!\n---\n**Garanta** já.\n\n",
            "vsl.md",
        )
        .expect("parses");
        let texts: Vec<&str> = script.lines.iter().map(|line| line.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Título",
                "Hoje você vai *descobrir* 3 passos.",
                "Por apenas R$ 49,90 em 12x!",
                "*Garanta* já."
            ]
        );
        let breaks: Vec<bool> = script.lines.iter().map(|line| line.break_before).collect();
        assert_eq!(breaks, [false, true, false, true]);
        assert_eq!(
            script.lines[2].words[2].text, "R$ 49,90",
            "a price is one word"
        );
        assert_eq!(script.lines[3].number, 4);
        assert!(script.lines[1].words[3].highlight);
        assert!(Script::parse(" \n---\n\n", "x").is_err());
    }

    #[test]
    fn bad_files_are_named_and_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let empty = dir.path().join("empty.txt");
        std::fs::write(&empty, "\n  \n---\n").expect("written");
        let error = Script::load(&empty).expect_err("empty");
        assert_eq!(error.kind(), ErrorKind::InvalidScript);
        assert!(error.to_string().contains("empty.txt"), "{error}");

        let binary = dir.path().join("binary.txt");
        std::fs::write(&binary, [0x89, b'P', b'N', b'G', 0, 0, 1, 2]).expect("written");
        let error = Script::load(&binary).expect_err("binary");
        assert!(error.to_string().contains("not a text file"), "{error}");

        let corrupt = dir.path().join("corrupt.docx");
        std::fs::write(&corrupt, b"PK\x03\x04 not really a zip").expect("written");
        let error = Script::load(&corrupt).expect_err("corrupt docx");
        assert_eq!(error.kind(), ErrorKind::InvalidScript);
        assert!(error.to_string().contains("corrupt.docx"), "{error}");

        let missing = Script::load(&dir.path().join("missing.md")).expect_err("missing");
        assert_eq!(missing.kind(), ErrorKind::NotFound);
        let other = Script::load(&dir.path().join("talk.pdf")).expect_err("pdf");
        assert_eq!(other.kind(), ErrorKind::InvalidScript);
    }

    #[test]
    fn word_documents_give_their_paragraphs_and_bold_as_highlights() {
        use docx_rs::{Docx, Paragraph, Run};
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("roteiro.docx");
        let file = std::fs::File::create(&path).expect("created");
        Docx::new()
            .add_paragraph(
                Paragraph::new().add_run(Run::new().add_text("Primeira frase do roteiro.")),
            )
            .add_paragraph(Paragraph::new())
            .add_paragraph(
                Paragraph::new()
                    .add_run(Run::new().add_text("Só hoje por "))
                    .add_run(Run::new().add_text("R$ 97").bold())
                    .add_run(Run::new().add_text(".")),
            )
            .build()
            .pack(file)
            .expect("packed");
        let script = Script::load(&path).expect("reads");
        assert_eq!(script.name, "roteiro.docx");
        assert_eq!(script.lines.len(), 2);
        assert!(script.lines[1].break_before);
        assert_eq!(script.lines[1].text, "Só hoje por *R$ 97*.");
    }

    #[test]
    fn vocabulary_keeps_names_and_numbers() {
        let script = Script::parse("A Acme Academy ensina 3 passos em 12x.\nAcme de novo.", "s")
            .expect("parses");
        assert_eq!(script.vocabulary(200), ["Acme", "Academy", "12x"]);
    }
}
