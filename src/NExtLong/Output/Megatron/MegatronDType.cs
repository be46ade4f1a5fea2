namespace NExtLong.Output.Megatron;

/// <summary>
/// The dtype codes of an MMIDIDX .idx header (Megatron-LM's and GPT-NeoX's <c>DType</c>; the integer codes agree
/// in both). There is no uint32.
/// </summary>
internal enum MegatronDType : byte
{
    UInt8 = 1,
    Int8 = 2,
    Int16 = 3,
    Int32 = 4,
    Int64 = 5,
    UInt16 = 8,
}
