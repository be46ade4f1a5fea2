namespace NExtLong.Synthesis;

/// <summary>
/// What every document of a run shares and is measured once: E, the target tokenizer's characters per token on the
/// index (Appendix C.1), which sizes k. Made by <see cref="Synthesizer.MeasureContext"/>.
/// </summary>
/// <param name="CharsPerToken">E: characters (Unicode scalar values) per target-tokenizer token, measured on a sample of the index's chunks.</param>
public sealed record SynthesisContext(double CharsPerToken);
