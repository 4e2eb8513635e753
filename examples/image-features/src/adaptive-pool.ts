/**
 * The two poolings of ImageCaptioning.pytorch's `myResnet.forward`, on a channels-last map: fc =
 * `x.mean(3).mean(2)` (the mean over all positions) and att = `F.adaptive_avg_pool2d(x, [S, S])`, whose
 * output cell `i` averages input rows `floor(i·H/S)` to `ceil((i+1)·H/S) − 1` (windows overlap when the grid
 * does not divide evenly, and repeat rows when S > H). Sums are kept in float64 and rounded once.
 */

/** A channels-last feature map of one image: `data[(y · width + x) · channels + c]`. */
export interface FeatureMap {
  /** The values, row-major `[height, width, channels]`. */
  data: Float32Array;
  /** Rows. */
  height: number;
  /** Columns. */
  width: number;
  /** Channels. */
  channels: number;
}

/** Mean over all positions: `[channels]` (prepro_feats.py's fc). */
export function spatialMean(map: FeatureMap): Float32Array {
  const { data, height, width, channels } = map;
  const sums = new Float64Array(channels);
  for (let p = 0; p < height * width; p++) {
    const o = p * channels;
    for (let c = 0; c < channels; c++) sums[c] = (sums[c] as number) + (data[o + c] as number);
  }
  const n = height * width;
  return Float32Array.from(sums, (s) => s / n);
}

/** PyTorch's adaptive pooling window `[start, end)` of output cell `i` of `out` over `size` inputs. */
export function adaptiveWindow(i: number, size: number, out: number): [number, number] {
  return [Math.floor((i * size) / out), Math.ceil(((i + 1) * size) / out)];
}

/**
 * `F.adaptive_avg_pool2d` to `outHeight × outWidth`, channels last: returns `[outHeight, outWidth, channels]`
 * row-major (prepro_feats.py's att after its `permute(1, 2, 0)`).
 *
 * @throws RangeError for an empty map or a non-positive output size
 */
export function adaptiveAvgPool2d(map: FeatureMap, outHeight: number, outWidth: number): Float32Array {
  const { data, height, width, channels } = map;
  if (height < 1 || width < 1) throw new RangeError(`adaptiveAvgPool2d: empty map ${height}×${width}`);
  if (!(Number.isInteger(outHeight) && Number.isInteger(outWidth) && outHeight > 0 && outWidth > 0))
    throw new RangeError(`adaptiveAvgPool2d: output size ${outHeight}×${outWidth} must be positive integers`);
  const out = new Float32Array(outHeight * outWidth * channels);
  const sums = new Float64Array(channels);
  for (let i = 0; i < outHeight; i++) {
    const [y0, y1] = adaptiveWindow(i, height, outHeight);
    for (let j = 0; j < outWidth; j++) {
      const [x0, x1] = adaptiveWindow(j, width, outWidth);
      sums.fill(0);
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const o = (y * width + x) * channels;
          for (let c = 0; c < channels; c++) sums[c] = (sums[c] as number) + (data[o + c] as number);
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const o = (i * outWidth + j) * channels;
      for (let c = 0; c < channels; c++) out[o + c] = (sums[c] as number) / n;
    }
  }
  return out;
}
