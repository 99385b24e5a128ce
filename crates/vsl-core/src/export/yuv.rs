//! RGB → Y'CbCr 4:2:0 with the BT.709 matrix in limited ("TV") range, the colour space the
//! MP4 is tagged with.
//!
//! Written here rather than with swscale because swscale converts with the BT.601 matrix unless
//! reconfigured through an unsafe call ffmpeg-next does not wrap, and because this plain
//! integer loop is faster than swscale's RGB input path on 1080p frames.

use ffmpeg_next::util::frame;

/// Fixed-point coefficients (16 fractional bits) mapping 8-bit R'G'B' to 8-bit limited range.
struct Matrix {
    y: [i32; 3],
    cb: [i32; 3],
    cr: [i32; 3],
}

const KR: f64 = 0.2126;
const KB: f64 = 0.0722;
const ONE: f64 = 65536.0;

fn matrix() -> Matrix {
    let kg = 1.0 - KR - KB;
    let luma = 219.0 / 255.0;
    let chroma = 224.0 / 255.0;
    let fixed = |value: f64| (value * ONE).round() as i32;
    let cb_scale = chroma / (2.0 * (1.0 - KB));
    let cr_scale = chroma / (2.0 * (1.0 - KR));
    Matrix {
        y: [fixed(KR * luma), fixed(kg * luma), fixed(KB * luma)],
        cb: [
            fixed(-KR * cb_scale),
            fixed(-kg * cb_scale),
            fixed((1.0 - KB) * cb_scale),
        ],
        cr: [
            fixed((1.0 - KR) * cr_scale),
            fixed(-kg * cr_scale),
            fixed(-KB * cr_scale),
        ],
    }
}

/// Converts straight-alpha RGBA (`width * height * 4` bytes) into a YUV420P `frame` of the
/// same size. Transparent pixels are composited over black. Width and height must be even.
pub(super) fn rgba_to_yuv420(rgba: &[u8], width: usize, height: usize, frame: &mut frame::Video) {
    let m = matrix();
    let premultiplied = |at: usize| -> [i32; 3] {
        let alpha = i32::from(rgba[at + 3]);
        let channel = |c: u8| {
            let c = i32::from(c);
            if alpha == 255 {
                c
            } else {
                (c * alpha + 127) / 255
            }
        };
        [
            channel(rgba[at]),
            channel(rgba[at + 1]),
            channel(rgba[at + 2]),
        ]
    };
    let dot = |k: &[i32; 3], p: &[i32; 3]| k[0] * p[0] + k[1] * p[1] + k[2] * p[2];

    let y_stride = frame.stride(0);
    let luma_plane = frame.data_mut(0);
    for (y, row) in luma_plane.chunks_mut(y_stride).take(height).enumerate() {
        for (x, out) in row[..width].iter_mut().enumerate() {
            let p = premultiplied((y * width + x) * 4);
            *out = (((16 << 16) + dot(&m.y, &p) + (1 << 15)) >> 16).clamp(16, 235) as u8;
        }
    }

    // Chroma from the mean of each 2x2 block; the sum of four pixels carries two extra bits,
    // hence the shift by 18 instead of 16.
    let (chroma_width, chroma_height) = (width / 2, height / 2);
    let mut cb_plane = vec![0u8; chroma_width * chroma_height];
    let mut cr_plane = vec![0u8; chroma_width * chroma_height];
    for cy in 0..chroma_height {
        for cx in 0..chroma_width {
            let top = (cy * 2 * width + cx * 2) * 4;
            let bottom = top + width * 4;
            let mut sum = [0i32; 3];
            for at in [top, top + 4, bottom, bottom + 4] {
                let p = premultiplied(at);
                sum[0] += p[0];
                sum[1] += p[1];
                sum[2] += p[2];
            }
            let at = cy * chroma_width + cx;
            cb_plane[at] =
                (((128 << 18) + dot(&m.cb, &sum) + (1 << 17)) >> 18).clamp(16, 240) as u8;
            cr_plane[at] =
                (((128 << 18) + dot(&m.cr, &sum) + (1 << 17)) >> 18).clamp(16, 240) as u8;
        }
    }
    for (plane, values) in [(1, cb_plane), (2, cr_plane)] {
        let stride = frame.stride(plane);
        for (row, source) in frame
            .data_mut(plane)
            .chunks_mut(stride)
            .zip(values.chunks(chroma_width))
        {
            row[..chroma_width].copy_from_slice(source);
        }
    }
}

/// Y, Cb, Cr of one RGB colour.
fn ycbcr(rgb: [u8; 3]) -> [u8; 3] {
    let m = matrix();
    let p = rgb.map(i32::from);
    let dot = |k: &[i32; 3]| k[0] * p[0] + k[1] * p[1] + k[2] * p[2];
    [
        (((16 << 16) + dot(&m.y) + (1 << 15)) >> 16).clamp(16, 235) as u8,
        (((128 << 16) + dot(&m.cb) + (1 << 15)) >> 16).clamp(16, 240) as u8,
        (((128 << 16) + dot(&m.cr) + (1 << 15)) >> 16).clamp(16, 240) as u8,
    ]
}

/// Fills a YUV420P frame with one RGB colour.
pub(super) fn fill(rgb: [u8; 3], frame: &mut frame::Video) {
    for (plane, value) in ycbcr(rgb).into_iter().enumerate() {
        frame.data_mut(plane).fill(value);
    }
}

/// Fills columns `0..width` of rows `top..top + rows` with one RGB colour (a progress bar).
/// `width`, `top` and `rows` must be even, so the rectangle covers whole chroma samples.
pub(super) fn fill_rect(
    rgb: [u8; 3],
    width: usize,
    top: usize,
    rows: usize,
    frame: &mut frame::Video,
) {
    let values = ycbcr(rgb);
    for (plane, value) in values.into_iter().enumerate() {
        let (shift, stride) = (usize::from(plane > 0), frame.stride(plane));
        let (columns, first, count) = (width >> shift, top >> shift, rows >> shift);
        let data = frame.data_mut(plane);
        for row in first..first + count {
            let start = row * stride;
            if let Some(line) = data.get_mut(start..start + columns) {
                line.fill(value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ffmpeg_next::format::Pixel;

    fn convert(rgba: [u8; 4]) -> (u8, u8, u8) {
        let mut frame = frame::Video::new(Pixel::YUV420P, 2, 2);
        let image: Vec<u8> = rgba.iter().copied().cycle().take(16).collect();
        rgba_to_yuv420(&image, 2, 2, &mut frame);
        (frame.data(0)[0], frame.data(1)[0], frame.data(2)[0])
    }

    #[test]
    fn reference_colours_match_bt709_limited_range() {
        // Values from ITU-R BT.709 with 8-bit limited-range quantisation.
        assert_eq!(convert([0, 0, 0, 255]), (16, 128, 128));
        assert_eq!(convert([255, 255, 255, 255]), (235, 128, 128));
        assert_eq!(convert([255, 0, 0, 255]), (63, 102, 240));
        assert_eq!(convert([0, 255, 0, 255]), (173, 42, 26));
        assert_eq!(convert([0, 0, 255, 255]), (32, 240, 118));
        // Transparent composites over black.
        assert_eq!(convert([255, 255, 255, 0]), (16, 128, 128));
    }

    #[test]
    fn a_rectangle_fills_only_its_rows_and_columns() {
        let mut frame = frame::Video::new(Pixel::YUV420P, 8, 8);
        fill([0, 0, 0], &mut frame);
        fill_rect([255, 255, 255], 4, 6, 2, &mut frame);
        let y = |x: usize, row: usize| frame.data(0)[row * frame.stride(0) + x];
        assert_eq!((y(0, 6), y(3, 7)), (235, 235));
        assert_eq!((y(4, 6), y(0, 5)), (16, 16));
    }

    #[test]
    fn fill_agrees_with_conversion() {
        let mut frame = frame::Video::new(Pixel::YUV420P, 4, 4);
        fill([200, 30, 90], &mut frame);
        assert_eq!(
            (frame.data(0)[0], frame.data(1)[0], frame.data(2)[0]),
            convert([200, 30, 90, 255])
        );
    }
}
