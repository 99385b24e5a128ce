//! The whisper.cpp ggml model file: reading, validating and writing.
//!
//! Layout: `i32 magic`, 11 `i32` hparams, the mel filter bank, the vocabulary, then the
//! tensors (`i32 n_dims, i32 name_len, i32 type, i32 ne[n_dims]`, name, data). Validation
//! walks every tensor header and checks each data block is present, so a truncated
//! download or a foreign file is caught before whisper.cpp ever sees it.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::Serialize;

use super::ModelError;

pub const MAGIC: u32 = 0x6767_6d6c;
/// whisper.cpp's quantization version multiplier in `ftype` (`2 * 1000 + type`).
const QNT_VERSION_FACTOR: i32 = 1000;

/// ggml tensor element types that appear in Whisper files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TensorType {
    F32,
    F16,
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q8_0,
    /// bfloat16: f32's exponent with a 7-bit mantissa; AVX512-BF16 multiplies it natively.
    BF16,
}

impl TensorType {
    pub fn from_id(id: i32) -> Option<Self> {
        Some(match id {
            0 => Self::F32,
            1 => Self::F16,
            2 => Self::Q4_0,
            3 => Self::Q4_1,
            6 => Self::Q5_0,
            7 => Self::Q5_1,
            8 => Self::Q8_0,
            30 => Self::BF16,
            _ => return None,
        })
    }

    pub fn id(self) -> i32 {
        match self {
            Self::F32 => 0,
            Self::F16 => 1,
            Self::Q4_0 => 2,
            Self::Q4_1 => 3,
            Self::Q5_0 => 6,
            Self::Q5_1 => 7,
            Self::Q8_0 => 8,
            Self::BF16 => 30,
        }
    }

    /// (elements per block, bytes per block)
    fn block(self) -> (u64, u64) {
        match self {
            Self::F32 => (1, 4),
            Self::F16 => (1, 2),
            Self::Q4_0 => (32, 18),
            Self::Q4_1 => (32, 20),
            Self::Q5_0 => (32, 22),
            Self::Q5_1 => (32, 24),
            Self::Q8_0 => (32, 34),
            Self::BF16 => (1, 2),
        }
    }

    /// Bytes taken by `elements` values, or `None` when they do not fill whole blocks.
    pub fn data_size(self, elements: u64) -> Option<u64> {
        let (per_block, bytes) = self.block();
        elements
            .is_multiple_of(per_block)
            .then(|| elements / per_block * bytes)
    }
}

/// The weight format recorded in `ftype` (what users call the quantization).
pub fn ftype_name(ftype: i32) -> &'static str {
    match ftype % QNT_VERSION_FACTOR {
        0 => "f32",
        1 => "f16",
        2 => "q4_0",
        3 => "q4_1",
        7 => "q8_0",
        8 => "q5_0",
        9 => "q5_1",
        24 => "bf16",
        _ => "unknown",
    }
}

/// `ftype` value for a file whose 2-D weights are stored as `weights`.
pub fn ftype_for(weights: TensorType) -> i32 {
    match weights {
        TensorType::F32 => 0,
        TensorType::F16 => 1,
        TensorType::Q4_0 => 2 * QNT_VERSION_FACTOR + 2,
        TensorType::Q4_1 => 2 * QNT_VERSION_FACTOR + 3,
        TensorType::Q8_0 => 2 * QNT_VERSION_FACTOR + 7,
        TensorType::Q5_0 => 2 * QNT_VERSION_FACTOR + 8,
        TensorType::Q5_1 => 2 * QNT_VERSION_FACTOR + 9,
        TensorType::BF16 => 24,
    }
}

/// The model dimensions stored in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HParams {
    pub n_vocab: i32,
    pub n_audio_ctx: i32,
    pub n_audio_state: i32,
    pub n_audio_head: i32,
    pub n_audio_layer: i32,
    pub n_text_ctx: i32,
    pub n_text_state: i32,
    pub n_text_head: i32,
    pub n_text_layer: i32,
    pub n_mels: i32,
    pub ftype: i32,
}

impl HParams {
    fn as_array(&self) -> [i32; 11] {
        [
            self.n_vocab,
            self.n_audio_ctx,
            self.n_audio_state,
            self.n_audio_head,
            self.n_audio_layer,
            self.n_text_ctx,
            self.n_text_state,
            self.n_text_head,
            self.n_text_layer,
            self.n_mels,
            self.ftype,
        ]
    }

    /// whisper.cpp's own rule: multilingual vocabularies have 51865 tokens or more.
    pub fn multilingual(&self) -> bool {
        self.n_vocab >= 51865
    }

    /// The Whisper size, named as OpenAI names it.
    pub fn size_name(&self) -> &'static str {
        match (self.n_audio_layer, self.n_text_layer) {
            (4, 4) => "tiny",
            (6, 6) => "base",
            (12, 12) => "small",
            (24, 24) => "medium",
            (32, 4) => "large-v3-turbo",
            (32, _) => "large",
            _ => "custom",
        }
    }

    /// How many tensors a complete whisper.cpp model of these dimensions holds.
    pub fn expected_tensor_count(&self) -> usize {
        // Encoder: positional embedding, 2 convs (weight + bias), ln_post; 15 per block.
        // Decoder: positional + token embedding, ln; 24 per block (self + cross attention).
        let audio_layers = usize::try_from(self.n_audio_layer).unwrap_or(0);
        let text_layers = usize::try_from(self.n_text_layer).unwrap_or(0);
        7 + 15 * audio_layers + 4 + 24 * text_layers
    }

    fn check(&self) -> Result<(), String> {
        let positive = self.as_array()[..10].iter().all(|&value| value > 0);
        if !positive {
            return Err(format!("non-positive dimension in hparams {self:?}"));
        }
        if !(51864..=51866).contains(&self.n_vocab) {
            return Err(format!(
                "vocabulary of {} tokens is not a Whisper vocabulary",
                self.n_vocab
            ));
        }
        if self.n_mels != 80 && self.n_mels != 128 {
            return Err(format!(
                "{} mel bands (Whisper uses 80 or 128)",
                self.n_mels
            ));
        }
        if self.n_audio_state % self.n_audio_head != 0 || self.n_text_state % self.n_text_head != 0
        {
            return Err("model width is not a multiple of the head count".to_owned());
        }
        if self.n_audio_layer > 64 || self.n_text_layer > 64 {
            return Err("implausible layer count".to_owned());
        }
        if ftype_name(self.ftype) == "unknown" {
            return Err(format!("unknown weight type (ftype {})", self.ftype));
        }
        Ok(())
    }
}

/// What validation learned about a file.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GgmlInfo {
    pub hparams: HParams,
    pub n_tokens: u32,
    pub n_tensors: usize,
    pub file_size: u64,
    pub quantization: &'static str,
}

/// Reads only the magic and hparams: cheap enough for listing a directory.
pub fn read_hparams(path: &Path) -> Result<HParams, ModelError> {
    let file = File::open(path).map_err(ModelError::io(path))?;
    let mut reader = Reader::new(BufReader::new(file), path);
    reader.header()
}

/// Parses the whole file: header, filters, vocabulary and every tensor.
pub fn validate(path: &Path) -> Result<GgmlInfo, ModelError> {
    let file = File::open(path).map_err(ModelError::io(path))?;
    let file_size = file.metadata().map_err(ModelError::io(path))?.len();
    let mut reader = Reader::new(BufReader::new(file), path);
    let hparams = reader.header()?;

    let n_mel = reader.i32("mel filter count")?;
    let n_fft = reader.i32("mel filter width")?;
    if n_mel != hparams.n_mels || n_fft != 201 {
        return Err(ModelError::ggml(
            path,
            format!(
                "mel filter bank is {n_mel}x{n_fft}, expected {}x201",
                hparams.n_mels
            ),
        ));
    }
    reader.skip(u64::from(n_mel.unsigned_abs()) * 201 * 4, "mel filters")?;

    let n_tokens = reader.i32("vocabulary size")?;
    if n_tokens <= 0 || n_tokens > hparams.n_vocab {
        return Err(ModelError::ggml(
            path,
            format!(
                "vocabulary lists {n_tokens} tokens for a model of {}",
                hparams.n_vocab
            ),
        ));
    }
    for index in 0..n_tokens {
        let len = reader.i32("token length")?;
        if !(0..=256).contains(&len) {
            return Err(ModelError::ggml(
                path,
                format!("token {index} has length {len}"),
            ));
        }
        reader.skip(u64::from(len.unsigned_abs()), "vocabulary")?;
    }

    let expected = expected_tensor_names(&hparams);
    let mut seen = BTreeSet::new();
    while let Some(tensor) = reader.tensor_header()? {
        if !expected.contains(&tensor.name) {
            return Err(ModelError::ggml(
                path,
                format!("unexpected tensor '{}'", tensor.name),
            ));
        }
        let size = tensor.kind.data_size(tensor.elements).ok_or_else(|| {
            ModelError::ggml(
                path,
                format!("tensor '{}' has a partial block", tensor.name),
            )
        })?;
        reader.skip(size, &tensor.name)?;
        if !seen.insert(tensor.name.clone()) {
            return Err(ModelError::ggml(
                path,
                format!("tensor '{}' appears twice", tensor.name),
            ));
        }
    }
    if let Some(missing) = expected.difference(&seen).next() {
        return Err(ModelError::ggml(
            path,
            format!(
                "{} of {} tensors present; '{missing}' is missing (truncated file?)",
                seen.len(),
                expected.len()
            ),
        ));
    }
    Ok(GgmlInfo {
        hparams,
        n_tokens: n_tokens.unsigned_abs(),
        n_tensors: seen.len(),
        file_size,
        quantization: ftype_name(hparams.ftype),
    })
}

/// The exact set of tensor names whisper.cpp loads for these dimensions.
pub fn expected_tensor_names(hparams: &HParams) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut add = |name: String| {
        names.insert(name);
    };
    for name in [
        "encoder.positional_embedding",
        "encoder.conv1.weight",
        "encoder.conv1.bias",
        "encoder.conv2.weight",
        "encoder.conv2.bias",
        "encoder.ln_post.weight",
        "encoder.ln_post.bias",
        "decoder.positional_embedding",
        "decoder.token_embedding.weight",
        "decoder.ln.weight",
        "decoder.ln.bias",
    ] {
        add(name.to_owned());
    }
    let attention = |add: &mut dyn FnMut(String), prefix: &str| {
        for part in ["query", "value", "out"] {
            add(format!("{prefix}.{part}.weight"));
            add(format!("{prefix}.{part}.bias"));
        }
        add(format!("{prefix}.key.weight"));
    };
    let common = |add: &mut dyn FnMut(String), block: &str| {
        for part in ["attn_ln", "mlp_ln", "mlp.0", "mlp.2"] {
            add(format!("{block}.{part}.weight"));
            add(format!("{block}.{part}.bias"));
        }
        attention(add, &format!("{block}.attn"));
    };
    for layer in 0..hparams.n_audio_layer {
        common(&mut add, &format!("encoder.blocks.{layer}"));
    }
    for layer in 0..hparams.n_text_layer {
        let block = format!("decoder.blocks.{layer}");
        common(&mut add, &block);
        add(format!("{block}.cross_attn_ln.weight"));
        add(format!("{block}.cross_attn_ln.bias"));
        attention(&mut add, &format!("{block}.cross_attn"));
    }
    names
}

struct TensorHeader {
    name: String,
    kind: TensorType,
    elements: u64,
}

struct Reader<'p, R> {
    inner: R,
    path: &'p Path,
}

impl<'p, R: Read + Seek> Reader<'p, R> {
    fn new(inner: R, path: &'p Path) -> Self {
        Self { inner, path }
    }

    fn truncated(&self, what: &str) -> ModelError {
        ModelError::ggml(
            self.path,
            format!("file ends inside the {what} (truncated?)"),
        )
    }

    fn exact(&mut self, buffer: &mut [u8], what: &str) -> Result<(), ModelError> {
        self.inner.read_exact(buffer).map_err(|error| {
            if error.kind() == std::io::ErrorKind::UnexpectedEof {
                self.truncated(what)
            } else {
                ModelError::io(self.path)(error)
            }
        })
    }

    fn i32(&mut self, what: &str) -> Result<i32, ModelError> {
        let mut bytes = [0; 4];
        self.exact(&mut bytes, what)?;
        Ok(i32::from_le_bytes(bytes))
    }

    fn skip(&mut self, bytes: u64, what: &str) -> Result<(), ModelError> {
        // Seeking past the end succeeds silently, so compare with the real length.
        let position = self
            .inner
            .stream_position()
            .map_err(ModelError::io(self.path))?;
        let end = self
            .inner
            .seek(SeekFrom::End(0))
            .map_err(ModelError::io(self.path))?;
        if position + bytes > end {
            return Err(self.truncated(what));
        }
        let offset = i64::try_from(position + bytes).map_err(|_| self.truncated(what))?;
        self.inner
            .seek(SeekFrom::Start(offset.unsigned_abs()))
            .map_err(ModelError::io(self.path))?;
        Ok(())
    }

    fn header(&mut self) -> Result<HParams, ModelError> {
        let mut magic = [0; 4];
        self.inner
            .read_exact(&mut magic)
            .map_err(|_| ModelError::ggml(self.path, "file is shorter than a ggml header"))?;
        if u32::from_le_bytes(magic) != MAGIC {
            return Err(ModelError::ggml(
                self.path,
                format!("bad magic {:02x?} (expected 'lmgg')", magic),
            ));
        }
        let mut values = [0i32; 11];
        for value in &mut values {
            *value = self.i32("hparams")?;
        }
        let hparams = HParams {
            n_vocab: values[0],
            n_audio_ctx: values[1],
            n_audio_state: values[2],
            n_audio_head: values[3],
            n_audio_layer: values[4],
            n_text_ctx: values[5],
            n_text_state: values[6],
            n_text_head: values[7],
            n_text_layer: values[8],
            n_mels: values[9],
            ftype: values[10],
        };
        hparams
            .check()
            .map_err(|reason| ModelError::ggml(self.path, reason))?;
        Ok(hparams)
    }

    fn tensor_header(&mut self) -> Result<Option<TensorHeader>, ModelError> {
        let mut first = [0; 4];
        match self
            .inner
            .read(&mut first)
            .map_err(ModelError::io(self.path))?
        {
            0 => return Ok(None),
            4 => {}
            read => self.exact(&mut first[read..], "tensor header")?,
        }
        let n_dims = i32::from_le_bytes(first);
        let name_len = self.i32("tensor header")?;
        let type_id = self.i32("tensor header")?;
        if !(1..=4).contains(&n_dims) || !(1..=128).contains(&name_len) {
            return Err(ModelError::ggml(
                self.path,
                format!("corrupt tensor header (dims {n_dims}, name length {name_len})"),
            ));
        }
        let mut elements = 1u64;
        for _ in 0..n_dims {
            let extent = self.i32("tensor shape")?;
            if extent <= 0 {
                return Err(ModelError::ggml(
                    self.path,
                    "tensor with an empty dimension",
                ));
            }
            elements *= u64::from(extent.unsigned_abs());
        }
        let mut name = vec![0; name_len.unsigned_abs() as usize];
        self.exact(&mut name, "tensor name")?;
        let name = String::from_utf8(name)
            .map_err(|_| ModelError::ggml(self.path, "tensor name is not UTF-8"))?;
        let kind = TensorType::from_id(type_id).ok_or_else(|| {
            ModelError::ggml(
                self.path,
                format!("tensor '{name}' has unknown type {type_id}"),
            )
        })?;
        Ok(Some(TensorHeader {
            name,
            kind,
            elements,
        }))
    }
}

/// Streams a ggml file out; the converter feeds it in whisper.cpp's order.
pub struct Writer<W: Write> {
    inner: W,
}

impl<W: Write> Writer<W> {
    pub fn new(inner: W) -> Self {
        Self { inner }
    }

    pub fn header(&mut self, hparams: &HParams) -> std::io::Result<()> {
        self.inner.write_all(&MAGIC.to_le_bytes())?;
        for value in hparams.as_array() {
            self.inner.write_all(&value.to_le_bytes())?;
        }
        Ok(())
    }

    pub fn mel_filters(&mut self, n_mels: usize, filters: &[f32]) -> std::io::Result<()> {
        self.i32(n_mels)?;
        self.i32(filters.len() / n_mels.max(1))?;
        for value in filters {
            self.inner.write_all(&value.to_le_bytes())?;
        }
        Ok(())
    }

    pub fn vocabulary<'a>(
        &mut self,
        tokens: impl ExactSizeIterator<Item = &'a [u8]>,
    ) -> std::io::Result<()> {
        self.i32(tokens.len())?;
        for token in tokens {
            self.i32(token.len())?;
            self.inner.write_all(token)?;
        }
        Ok(())
    }

    /// `shape` is in row-major (numpy) order; ggml stores it reversed.
    pub fn tensor(
        &mut self,
        name: &str,
        shape: &[usize],
        kind: TensorType,
        data: &[u8],
    ) -> std::io::Result<()> {
        self.i32(shape.len())?;
        self.i32(name.len())?;
        self.inner.write_all(&kind.id().to_le_bytes())?;
        for &extent in shape.iter().rev() {
            self.i32(extent)?;
        }
        self.inner.write_all(name.as_bytes())?;
        self.inner.write_all(data)
    }

    fn i32(&mut self, value: usize) -> std::io::Result<()> {
        let value = i32::try_from(value).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "value exceeds i32")
        })?;
        self.inner.write_all(&value.to_le_bytes())
    }

    pub fn into_inner(self) -> W {
        self.inner
    }
}
