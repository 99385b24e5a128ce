//! Converts a CTranslate2 Whisper model (the faster-whisper format) to a whisper.cpp ggml file.
//!
//! `model.bin` is indexed first (names, shapes, types and file offsets only) so memory stays
//! bounded by the largest single tensor; each output tensor is then read, split where
//! CTranslate2 fuses projections (q/k/v, cross-attention k/v), encoded and streamed out.
//! The mel filter bank, which CTranslate2 does not store, is computed (see [`super::mel`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use half::{bf16, f16};

use super::ggml::{self, HParams, TensorType};
use super::{mel, ModelError};

/// Output weight format for 2-D weights (attention, MLP, token embedding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightFormat {
    F16,
    /// 8-bit blocks of 32 with an f16 scale: half the size. On AMD's AVX512 CPUs the decoder
    /// is faster and the encoder is not (llamafile's q8_0 GEMM is 256 bits wide); on Intel's
    /// AMX Xeons it is the fastest format (docs/BENCHMARKS.md).
    Q8_0,
    /// bfloat16: f16's size, multiplied natively by CPUs with AVX512-BF16, where it
    /// transcribes 7–11 % faster than f16 with the same words (docs/BENCHMARKS.md).
    Bf16,
    /// [`WeightFormat::best_for_this_cpu`] for the model being converted.
    Auto,
}

impl WeightFormat {
    /// `f16`, `bf16`, `q8_0`, or `auto`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "f16" => Some(Self::F16),
            "q8_0" => Some(Self::Q8_0),
            "bf16" => Some(Self::Bf16),
            "auto" => Some(Self::Auto),
            _ => None,
        }
    }

    /// What `vsl models import-ct2` and the app write by default for a model whose encoder
    /// has `audio_state` channels (384 for tiny, 512 for base, ...), as measured on each CPU
    /// kind (docs/BENCHMARKS.md, "Weight formats on an AMX CPU"):
    /// - q8_0 on Intel's AMX Xeons, for base and larger: 16–22 % faster than bf16 there with
    ///   the same WER. tiny keeps bf16: q8_0 saves it 3–9 % and costs 1.7 WER points.
    /// - bf16 where the CPU multiplies it natively (AVX512-BF16).
    /// - f16 elsewhere: bf16 without AVX512-BF16 converts every value on load into the
    ///   multiply, and f16 keeps three more mantissa bits.
    pub fn best_for_this_cpu(audio_state: i32) -> Self {
        if audio_state > 384 && cpu_has_amx_int8() {
            Self::Q8_0
        } else if cpu_has_bf16() {
            Self::Bf16
        } else {
            Self::F16
        }
    }

    /// The concrete format for a model with `audio_state` encoder channels.
    pub fn resolve(self, audio_state: i32) -> Self {
        match self {
            Self::Auto => Self::best_for_this_cpu(audio_state),
            format => format,
        }
    }

    /// The name `parse` takes and `vsl models list` shows.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            format => ggml::ftype_name(ggml::ftype_for(format.tensor_type())),
        }
    }

    /// The tensor type of a concrete format (`convert` resolves `Auto` before it asks).
    fn tensor_type(self) -> TensorType {
        match self {
            Self::F16 => TensorType::F16,
            Self::Q8_0 => TensorType::Q8_0,
            Self::Bf16 | Self::Auto => TensorType::BF16,
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn cpu_has_bf16() -> bool {
    std::arch::is_x86_feature_detected!("avx512bf16")
}

#[cfg(not(target_arch = "x86_64"))]
fn cpu_has_bf16() -> bool {
    false
}

/// Whether this is an Intel Xeon of the AMX generations (Sapphire Rapids and later), where
/// q8_0 outruns bf16: llamafile's int8 GEMM (VNNI) and ggml's AMX kernels against bf16's
/// dot products; on AMD's AVX512-BF16 CPUs bf16 wins. Linux lists `amx_int8` only when the
/// kernel supports AMX too; std's `amx-int8` detection is not stable yet.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn cpu_has_amx_int8() -> bool {
    std::fs::read_to_string("/proc/cpuinfo").is_ok_and(|info| {
        info.lines()
            .find(|line| line.starts_with("flags"))
            .is_some_and(|flags| flags.split_whitespace().any(|flag| flag == "amx_int8"))
    })
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn cpu_has_amx_int8() -> bool {
    false
}

/// What a conversion produced.
#[derive(Debug, Clone)]
pub struct Conversion {
    pub hparams: HParams,
    pub tensors: usize,
    /// The weight format written (`Auto` resolved).
    pub format: WeightFormat,
}

#[derive(Debug, Clone)]
struct Variable {
    shape: Vec<usize>,
    dtype: u8,
    offset: u64,
    nbytes: u64,
}

struct Ct2Model {
    path: PathBuf,
    file: BufReader<File>,
    variables: BTreeMap<String, Variable>,
}

impl Ct2Model {
    fn open(path: &Path) -> Result<Self, ModelError> {
        let file = File::open(path).map_err(ModelError::io(path))?;
        let len = file.metadata().map_err(ModelError::io(path))?.len();
        let mut file = BufReader::new(file);
        let mut cursor = IndexReader {
            file: &mut file,
            path,
            len,
        };
        let version = cursor.u32()?;
        if !(5..=6).contains(&version) {
            return Err(ModelError::ct2(
                path,
                format!("unsupported CTranslate2 binary version {version} (expected 5 or 6)"),
            ));
        }
        let spec = cursor.string()?;
        if spec != "WhisperSpec" {
            return Err(ModelError::ct2(
                path,
                format!("model spec is '{spec}', not WhisperSpec"),
            ));
        }
        let _revision = cursor.u32()?;
        let count = cursor.u32()?;
        let mut variables = BTreeMap::new();
        for _ in 0..count {
            let name = cursor.string()?;
            let ndim = cursor.u8()?;
            let shape = (0..ndim)
                .map(|_| cursor.u32().map(|d| d as usize))
                .collect::<Result<Vec<_>, _>>()?;
            let dtype = cursor.u8()?;
            let nbytes = u64::from(cursor.u32()?);
            let offset = cursor.position()?;
            if offset + nbytes > len {
                return Err(ModelError::ct2(
                    path,
                    format!("file ends inside variable '{name}' (truncated download?)"),
                ));
            }
            cursor
                .file
                .seek(SeekFrom::Current(nbytes as i64))
                .map_err(ModelError::io(path))?;
            variables.insert(
                name,
                Variable {
                    shape,
                    dtype,
                    offset,
                    nbytes,
                },
            );
        }
        Ok(Self {
            path: path.to_path_buf(),
            file,
            variables,
        })
    }

    fn var(&self, name: &str) -> Result<&Variable, ModelError> {
        self.variables
            .get(name)
            .ok_or_else(|| ModelError::ct2(&self.path, format!("variable '{name}' is missing")))
    }

    fn shape(&self, name: &str, ndim: usize) -> Result<Vec<usize>, ModelError> {
        let var = self.var(name)?;
        if var.shape.len() != ndim {
            return Err(ModelError::ct2(
                &self.path,
                format!(
                    "'{name}' has shape {:?}, expected {ndim} dimensions",
                    var.shape
                ),
            ));
        }
        Ok(var.shape.clone())
    }

    fn raw(&mut self, name: &str) -> Result<(Variable, Vec<u8>), ModelError> {
        let var = self.var(name)?.clone();
        let mut data = vec![0; var.nbytes as usize];
        self.file
            .seek(SeekFrom::Start(var.offset))
            .map_err(ModelError::io(&self.path))?;
        self.file
            .read_exact(&mut data)
            .map_err(ModelError::io(&self.path))?;
        Ok((var, data))
    }

    /// Reads a variable as `f32`, undoing int8/int16 quantization with its `_scale` sibling.
    fn floats(&mut self, name: &str) -> Result<(Vec<usize>, Vec<f32>), ModelError> {
        let (var, data) = self.raw(name)?;
        let elements: usize = var.shape.iter().product();
        let values: Vec<f32> = match var.dtype {
            0 => data
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            4 => data
                .chunks_exact(2)
                .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            5 => data
                .chunks_exact(2)
                .map(|b| bf16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            1 | 2 => {
                let quantized: Vec<f32> = if var.dtype == 1 {
                    data.iter().map(|&b| f32::from(b as i8)).collect()
                } else {
                    data.chunks_exact(2)
                        .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])))
                        .collect()
                };
                let (_, scales) = self.floats(&format!("{name}_scale"))?;
                let row = elements / scales.len().max(1);
                if row == 0 || scales.len() * row != elements {
                    return Err(ModelError::ct2(
                        &self.path,
                        format!("'{name}' has mismatched scales"),
                    ));
                }
                quantized
                    .chunks_exact(row)
                    .zip(&scales)
                    .flat_map(|(values, &scale)| values.iter().map(move |&q| q / scale))
                    .collect()
            }
            other => {
                return Err(ModelError::ct2(
                    &self.path,
                    format!("'{name}' has unsupported data type {other}"),
                ))
            }
        };
        if values.len() != elements {
            return Err(ModelError::ct2(
                &self.path,
                format!(
                    "'{name}' holds {} values for shape {:?}",
                    values.len(),
                    var.shape
                ),
            ));
        }
        Ok((var.shape, values))
    }

    fn scalar_int(&mut self, name: &str) -> Option<usize> {
        let (var, data) = self.raw(name).ok()?;
        let value = match (var.dtype, data.as_slice()) {
            (1, [b, ..]) => i64::from(*b as i8),
            (2, [a, b, ..]) => i64::from(i16::from_le_bytes([*a, *b])),
            (3, [a, b, c, d, ..]) => i64::from(i32::from_le_bytes([*a, *b, *c, *d])),
            _ => return None,
        };
        usize::try_from(value).ok()
    }

    fn layer_count(&self, prefix: &str) -> usize {
        let layers: BTreeSet<&str> = self
            .variables
            .keys()
            .filter_map(|name| name.strip_prefix(prefix))
            .filter_map(|rest| rest.split('/').next())
            .filter(|index| index.parse::<usize>().is_ok())
            .collect();
        layers.len()
    }
}

struct IndexReader<'a> {
    file: &'a mut BufReader<File>,
    path: &'a Path,
    len: u64,
}

impl IndexReader<'_> {
    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], ModelError> {
        let mut buffer = [0; N];
        self.file.read_exact(&mut buffer).map_err(|error| {
            if error.kind() == std::io::ErrorKind::UnexpectedEof {
                ModelError::ct2(
                    self.path,
                    "file ends inside its header (truncated or not a model.bin)",
                )
            } else {
                ModelError::io(self.path)(error)
            }
        })?;
        Ok(buffer)
    }
    fn u8(&mut self) -> Result<u8, ModelError> {
        Ok(self.bytes::<1>()?[0])
    }
    fn u32(&mut self) -> Result<u32, ModelError> {
        Ok(u32::from_le_bytes(self.bytes()?))
    }
    fn string(&mut self) -> Result<String, ModelError> {
        let len = usize::from(u16::from_le_bytes(self.bytes()?));
        if len == 0 || len as u64 > self.len {
            return Err(ModelError::ct2(self.path, "corrupt string in header"));
        }
        let mut buffer = vec![0; len];
        self.file
            .read_exact(&mut buffer)
            .map_err(|_| ModelError::ct2(self.path, "file ends inside its header (truncated?)"))?;
        buffer.pop();
        String::from_utf8(buffer)
            .map_err(|_| ModelError::ct2(self.path, "header string is not UTF-8"))
    }
    fn position(&mut self) -> Result<u64, ModelError> {
        self.file
            .stream_position()
            .map_err(ModelError::io(self.path))
    }
}

/// Reads the token list (`vocabulary.txt` or `vocabulary.json`) and returns the regular
/// tokens as raw bytes, ending before `<|endoftext|>`: whisper.cpp adds the special ones.
fn read_vocabulary(dir: &Path) -> Result<Vec<Vec<u8>>, ModelError> {
    let txt = dir.join("vocabulary.txt");
    let json = dir.join("vocabulary.json");
    let tokens: Vec<String> = if txt.exists() {
        std::fs::read_to_string(&txt)
            .map_err(ModelError::io(&txt))?
            .lines()
            .map(str::to_owned)
            .collect()
    } else if json.exists() {
        let text = std::fs::read_to_string(&json).map_err(ModelError::io(&json))?;
        serde_json::from_str(&text).map_err(|error| ModelError::ct2(&json, error.to_string()))?
    } else {
        return Err(ModelError::ct2(
            dir,
            "no vocabulary.txt or vocabulary.json beside model.bin",
        ));
    };
    let decoder = byte_decoder();
    let end = tokens
        .iter()
        .position(|token| token == "<|endoftext|>")
        .ok_or_else(|| ModelError::ct2(dir, "vocabulary has no <|endoftext|> token"))?;
    tokens[..end]
        .iter()
        .map(|token| {
            token
                .chars()
                .map(|c| decoder.get(&c).copied())
                .collect::<Option<Vec<u8>>>()
                .ok_or_else(|| {
                    ModelError::ct2(dir, format!("token '{token}' is not byte-level BPE"))
                })
        })
        .collect()
}

/// GPT-2's byte-level BPE maps every byte to a printable character; this is the inverse.
fn byte_decoder() -> std::collections::HashMap<char, u8> {
    let mut map = std::collections::HashMap::with_capacity(256);
    let mut next = 256u32;
    for byte in 0..=255u8 {
        let printable = matches!(byte, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
        let code = if printable {
            u32::from(byte)
        } else {
            next += 1;
            next - 1
        };
        if let Some(c) = char::from_u32(code) {
            map.insert(c, byte);
        }
    }
    map
}

fn encode(values: &[f32], kind: TensorType, row: usize) -> Vec<u8> {
    match kind {
        TensorType::F32 => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        TensorType::F16 => values
            .iter()
            .flat_map(|v| f16::from_f32(*v).to_le_bytes())
            .collect(),
        TensorType::BF16 => values
            .iter()
            .flat_map(|v| bf16::from_f32(*v).to_le_bytes())
            .collect(),
        TensorType::Q8_0 => {
            debug_assert!(row.is_multiple_of(32));
            let mut out = Vec::with_capacity(values.len() / 32 * 34);
            for block in values.chunks_exact(32) {
                let max = block.iter().fold(0f32, |max, v| max.max(v.abs()));
                let scale = max / 127.0;
                let inverse = if scale > 0.0 { 1.0 / scale } else { 0.0 };
                out.extend_from_slice(&f16::from_f32(scale).to_le_bytes());
                out.extend(block.iter().map(|v| (v * inverse).round() as i8 as u8));
            }
            out
        }
        _ => unreachable!("the converter only writes f32, f16, bf16 and q8_0"),
    }
}

/// Converts `dir` (holding `model.bin` and the vocabulary) into a ggml file at `output`.
/// `output` is written in full to a temporary sibling and renamed only on success.
pub fn convert(
    dir: &Path,
    output: &Path,
    format: WeightFormat,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Conversion, ModelError> {
    let model_path = dir.join("model.bin");
    if !model_path.exists() {
        return Err(ModelError::ct2(dir, "no model.bin in this folder"));
    }
    let mut model = Ct2Model::open(&model_path)?;
    let vocabulary = read_vocabulary(dir)?;

    let embedding = model.shape("decoder/embeddings/weight", 2)?;
    let audio_pos = model.shape("encoder/position_encodings/encodings", 2)?;
    let text_pos = model.shape("decoder/position_encodings/encodings", 2)?;
    let conv1 = model.shape("encoder/conv1/weight", 3)?;
    let (audio_state, text_state) = (audio_pos[1], embedding[1]);
    let format = format.resolve(i32::try_from(audio_state).unwrap_or(i32::MAX));
    let n_audio_layer = model.layer_count("encoder/layer_");
    let n_text_layer = model.layer_count("decoder/layer_");
    let heads = |model: &mut Ct2Model, prefix: &str, width: usize| {
        model
            .scalar_int(&format!("{prefix}/num_heads"))
            .unwrap_or(width / 64)
    };
    let to_i32 = |value: usize| i32::try_from(value).unwrap_or(i32::MAX);
    let hparams = HParams {
        n_vocab: to_i32(embedding[0]),
        n_audio_ctx: to_i32(audio_pos[0]),
        n_audio_state: to_i32(audio_state),
        n_audio_head: to_i32(heads(&mut model, "encoder", audio_state)),
        n_audio_layer: to_i32(n_audio_layer),
        n_text_ctx: to_i32(text_pos[0]),
        n_text_state: to_i32(text_state),
        n_text_head: to_i32(heads(&mut model, "decoder", text_state)),
        n_text_layer: to_i32(n_text_layer),
        n_mels: to_i32(conv1[1]),
        ftype: ggml::ftype_for(format.tensor_type()),
    };
    if vocabulary.len() > embedding[0] {
        return Err(ModelError::ct2(
            dir,
            "vocabulary is larger than the embedding table",
        ));
    }
    let filters = mel::filters(conv1[1]);

    let parent = output.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(parent).map_err(ModelError::io(parent))?;
    let temp = tempfile::Builder::new()
        .prefix(".converting-")
        .suffix(".part")
        .tempfile_in(parent)
        .map_err(ModelError::io(parent))?;
    let io = ModelError::io(temp.path());
    let mut writer = ggml::Writer::new(BufWriter::with_capacity(1 << 20, temp.as_file()));
    let write_result = (|| -> std::io::Result<()> {
        writer.header(&hparams)?;
        writer.mel_filters(conv1[1], &filters)?;
        writer.vocabulary(vocabulary.iter().map(Vec::as_slice))
    })();
    write_result.map_err(io)?;

    let plan = tensor_plan(&hparams);
    let total = plan.len();
    for (index, item) in plan.iter().enumerate() {
        let (shape, values) = model.floats(&item.source)?;
        let (out_shape, values) = item.select(&shape, values, &model.path)?;
        let kind = match item.role {
            Role::Weight => format.tensor_type(),
            Role::Conv => TensorType::F16,
            Role::Float => TensorType::F32,
        };
        let row = *out_shape.last().unwrap_or(&1);
        let kind = if kind == TensorType::Q8_0 && !row.is_multiple_of(32) {
            TensorType::F16
        } else {
            kind
        };
        let data = encode(&values, kind, row);
        writer
            .tensor(&item.target, &out_shape, kind, &data)
            .map_err(ModelError::io(temp.path()))?;
        progress(index + 1, total);
    }
    let mut buffered = writer.into_inner();
    buffered.flush().map_err(ModelError::io(temp.path()))?;
    drop(buffered);
    temp.as_file()
        .sync_all()
        .map_err(ModelError::io(temp.path()))?;

    // Re-read what we wrote with the same validator users' files go through.
    ggml::validate(temp.path())?;
    temp.persist(output)
        .map_err(|error| ModelError::io(output)(error.error))?;
    Ok(Conversion {
        hparams,
        tensors: total,
        format,
    })
}

#[derive(Debug, Clone, Copy)]
enum Role {
    /// 2-D matrices: stored in the requested weight format.
    Weight,
    /// Convolution kernels: always f16 (whisper.cpp reads them so).
    Conv,
    /// Biases, norms, positional embeddings: f32.
    Float,
}

#[derive(Debug, Clone, Copy)]
enum Part {
    Whole,
    /// Rows `[index * n, (index + 1) * n)` of a fused projection of `parts` equal pieces.
    Slice {
        index: usize,
        parts: usize,
    },
    /// A conv bias `[d]` stored as `[d, 1]`.
    Column,
}

struct PlanItem {
    target: String,
    source: String,
    role: Role,
    part: Part,
}

impl PlanItem {
    fn select(
        &self,
        shape: &[usize],
        values: Vec<f32>,
        path: &Path,
    ) -> Result<(Vec<usize>, Vec<f32>), ModelError> {
        match self.part {
            Part::Whole => Ok((shape.to_vec(), values)),
            Part::Column => Ok((vec![values.len(), 1], values)),
            Part::Slice { index, parts } => {
                let rows = shape[0];
                if !rows.is_multiple_of(parts) {
                    return Err(ModelError::ct2(
                        path,
                        format!(
                            "'{}' has {rows} rows, not divisible into {parts}",
                            self.source
                        ),
                    ));
                }
                let rows_each = rows / parts;
                let row_len: usize = shape[1..].iter().product();
                let start = index * rows_each * row_len;
                let slice = values[start..start + rows_each * row_len].to_vec();
                let mut out_shape = shape.to_vec();
                out_shape[0] = rows_each;
                Ok((out_shape, slice))
            }
        }
    }
}

fn tensor_plan(hparams: &HParams) -> Vec<PlanItem> {
    let mut plan = Vec::new();
    let mut push = |target: String, source: String, role: Role, part: Part| {
        plan.push(PlanItem {
            target,
            source,
            role,
            part,
        });
    };
    let whole = Part::Whole;
    push(
        "encoder.positional_embedding".into(),
        "encoder/position_encodings/encodings".into(),
        Role::Float,
        whole,
    );
    for conv in ["conv1", "conv2"] {
        push(
            format!("encoder.{conv}.weight"),
            format!("encoder/{conv}/weight"),
            Role::Conv,
            whole,
        );
        push(
            format!("encoder.{conv}.bias"),
            format!("encoder/{conv}/bias"),
            Role::Float,
            Part::Column,
        );
    }
    push(
        "encoder.ln_post.weight".into(),
        "encoder/layer_norm/gamma".into(),
        Role::Float,
        whole,
    );
    push(
        "encoder.ln_post.bias".into(),
        "encoder/layer_norm/beta".into(),
        Role::Float,
        whole,
    );
    push(
        "decoder.positional_embedding".into(),
        "decoder/position_encodings/encodings".into(),
        Role::Float,
        whole,
    );
    push(
        "decoder.token_embedding.weight".into(),
        "decoder/embeddings/weight".into(),
        Role::Weight,
        whole,
    );
    push(
        "decoder.ln.weight".into(),
        "decoder/layer_norm/gamma".into(),
        Role::Float,
        whole,
    );
    push(
        "decoder.ln.bias".into(),
        "decoder/layer_norm/beta".into(),
        Role::Float,
        whole,
    );

    let norm =
        |push: &mut dyn FnMut(String, String, Role, Part), target: String, source: String| {
            push(
                format!("{target}.weight"),
                format!("{source}/gamma"),
                Role::Float,
                whole,
            );
            push(
                format!("{target}.bias"),
                format!("{source}/beta"),
                Role::Float,
                whole,
            );
        };
    let linear = |push: &mut dyn FnMut(String, String, Role, Part),
                  target: String,
                  source: String,
                  part: Part,
                  bias: bool| {
        push(
            format!("{target}.weight"),
            format!("{source}/weight"),
            Role::Weight,
            part,
        );
        if bias {
            push(
                format!("{target}.bias"),
                format!("{source}/bias"),
                Role::Float,
                part,
            );
        }
    };
    let block = |push: &mut dyn FnMut(String, String, Role, Part), t: &str, s: &str| {
        norm(
            push,
            format!("{t}.attn_ln"),
            format!("{s}/self_attention/layer_norm"),
        );
        let fused = |index| Part::Slice { index, parts: 3 };
        linear(
            push,
            format!("{t}.attn.query"),
            format!("{s}/self_attention/linear_0"),
            fused(0),
            true,
        );
        // Whisper's key projection has no bias; CTranslate2 stores a zero one, which is dropped.
        linear(
            push,
            format!("{t}.attn.key"),
            format!("{s}/self_attention/linear_0"),
            fused(1),
            false,
        );
        linear(
            push,
            format!("{t}.attn.value"),
            format!("{s}/self_attention/linear_0"),
            fused(2),
            true,
        );
        linear(
            push,
            format!("{t}.attn.out"),
            format!("{s}/self_attention/linear_1"),
            whole,
            true,
        );
        norm(push, format!("{t}.mlp_ln"), format!("{s}/ffn/layer_norm"));
        linear(
            push,
            format!("{t}.mlp.0"),
            format!("{s}/ffn/linear_0"),
            whole,
            true,
        );
        linear(
            push,
            format!("{t}.mlp.2"),
            format!("{s}/ffn/linear_1"),
            whole,
            true,
        );
    };
    for layer in 0..hparams.n_audio_layer {
        block(
            &mut push,
            &format!("encoder.blocks.{layer}"),
            &format!("encoder/layer_{layer}"),
        );
    }
    for layer in 0..hparams.n_text_layer {
        let (t, s) = (
            format!("decoder.blocks.{layer}"),
            format!("decoder/layer_{layer}"),
        );
        block(&mut push, &t, &s);
        norm(
            &mut push,
            format!("{t}.cross_attn_ln"),
            format!("{s}/attention/layer_norm"),
        );
        linear(
            &mut push,
            format!("{t}.cross_attn.query"),
            format!("{s}/attention/linear_0"),
            whole,
            true,
        );
        let fused = |index| Part::Slice { index, parts: 2 };
        linear(
            &mut push,
            format!("{t}.cross_attn.key"),
            format!("{s}/attention/linear_1"),
            fused(0),
            false,
        );
        linear(
            &mut push,
            format!("{t}.cross_attn.value"),
            format!("{s}/attention/linear_1"),
            fused(1),
            true,
        );
        linear(
            &mut push,
            format!("{t}.cross_attn.out"),
            format!("{s}/attention/linear_2"),
            whole,
            true,
        );
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_decoder_covers_every_byte() {
        let decoder = byte_decoder();
        assert_eq!(decoder.len(), 256);
        assert_eq!(decoder[&'Ġ'], b' ');
        assert_eq!(decoder[&'Ċ'], b'\n');
        assert_eq!(decoder[&'a'], b'a');
    }

    #[test]
    fn plan_matches_whisper_cpp_tensor_set() {
        let hparams = HParams {
            n_vocab: 51864,
            n_audio_ctx: 1500,
            n_audio_state: 384,
            n_audio_head: 6,
            n_audio_layer: 4,
            n_text_ctx: 448,
            n_text_state: 384,
            n_text_head: 6,
            n_text_layer: 4,
            n_mels: 80,
            ftype: 1,
        };
        let planned: BTreeSet<String> = tensor_plan(&hparams)
            .into_iter()
            .map(|item| item.target)
            .collect();
        assert_eq!(planned, ggml::expected_tensor_names(&hparams));
        assert_eq!(planned.len(), hparams.expected_tensor_count());
    }

    #[test]
    fn q8_0_round_trips_within_half_a_step() {
        let values: Vec<f32> = (0..64).map(|i| (i as f32 - 31.5) / 7.0).collect();
        let bytes = encode(&values, TensorType::Q8_0, 64);
        assert_eq!(bytes.len(), 2 * 34);
        for (block, chunk) in values.chunks(32).zip(bytes.chunks(34)) {
            let scale = f16::from_le_bytes([chunk[0], chunk[1]]).to_f32();
            for (value, &q) in block.iter().zip(&chunk[2..]) {
                assert!((f32::from(q as i8) * scale - value).abs() <= scale * 0.51 + 1e-3);
            }
        }
    }

    #[test]
    fn bf16_keeps_eight_significant_bits() {
        let values = [1.0f32, -0.333_333, 3.14159e-3, 65504.0, 1.0e-30];
        let bytes = encode(&values, TensorType::BF16, values.len());
        assert_eq!(bytes.len(), 2 * values.len());
        for (value, pair) in values.iter().zip(bytes.chunks(2)) {
            let back = bf16::from_le_bytes([pair[0], pair[1]]).to_f32();
            // Round to nearest: within half of the 2^-7 relative step.
            assert!(
                (back - value).abs() <= value.abs() / 256.0,
                "{value} -> {back}"
            );
        }
    }

    #[test]
    fn formats_parse_and_auto_follows_the_cpu() {
        for format in [WeightFormat::F16, WeightFormat::Q8_0, WeightFormat::Bf16] {
            assert_eq!(WeightFormat::parse(format.name()), Some(format));
        }
        assert_eq!(WeightFormat::parse("q4_0"), None);
        assert_eq!(WeightFormat::parse("auto"), Some(WeightFormat::Auto));
        let tiny = WeightFormat::Auto.resolve(384);
        assert_eq!(tiny == WeightFormat::Bf16, cpu_has_bf16());
        assert!(matches!(tiny, WeightFormat::F16 | WeightFormat::Bf16));
        let base = WeightFormat::Auto.resolve(512);
        assert_eq!(base, WeightFormat::best_for_this_cpu(512));
        assert_eq!(base == WeightFormat::Q8_0, cpu_has_amx_int8());
        assert_eq!(WeightFormat::F16.resolve(512), WeightFormat::F16);
    }
}
