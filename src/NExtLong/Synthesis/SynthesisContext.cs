namespace NExtLong.Synthesis;

/// <summary>
/// What every document of a run shares and is measured once: E, the target tokenizer's characters per token on the
/// index (Appendix C.1), which sizes k. Made by <see cref="Synthesizer.MeasureContext"/>.
/// </summary>
public sealed record SynthesisContext(double CharsPerToken);
