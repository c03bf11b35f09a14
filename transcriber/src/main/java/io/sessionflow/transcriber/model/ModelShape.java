package io.sessionflow.transcriber.model;

/**
 * The hyper-parameters of a whisper.cpp ggml model (the 11 integers after the magic).
 *
 * @param vocab       vocabulary size; at least 51865 makes the model multilingual
 * @param audioCtx    encoder positions (1500 = 30 s of audio at 50 frames/s after the conv stride)
 * @param audioState  encoder width
 * @param audioHeads  encoder attention heads
 * @param audioLayers encoder layers
 * @param textCtx     decoder positions
 * @param textState   decoder width
 * @param textHeads   decoder attention heads
 * @param textLayers  decoder layers
 * @param mels        mel bands of the input
 */
public record ModelShape(int vocab, int audioCtx, int audioState, int audioHeads, int audioLayers, int textCtx,
    int textState, int textHeads, int textLayers, int mels) {

  /** The shape of OpenAI's "tiny" model (39 M parameters). */
  public static final ModelShape TINY = new ModelShape(51865, 1500, 384, 6, 4, 448, 384, 6, 4, 80);

  /** A much smaller shape with the same interface, for fast tests (a few MB). */
  public static final ModelShape SMALL = new ModelShape(51865, 1500, 64, 2, 1, 448, 64, 2, 1, 80);
}
