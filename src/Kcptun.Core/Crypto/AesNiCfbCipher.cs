using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace Kcptun.Crypto;

/// <summary>
/// AES-CFB (kcp-go's fixed-IV, full-block CFB) on AES-NI: the default cipher's hot path. Encryption is a serial
/// chain (each block's keystream is the encryption of the previous ciphertext block), so it runs one block at a time;
/// decryption knows every keystream input up front and runs eight blocks interleaved to fill the AES pipelines.
/// Only constructed when <see cref="IsSupported"/>; <see cref="CfbCipher"/> over <see cref="BclAesBlock"/> is the
/// portable path. <see cref="EncryptMany"/> hides the encryption latency across datagrams instead: eight datagrams'
/// chains advance together, one block each per step.
/// </summary>
internal sealed class AesNiCfbCipher : DatagramCipher
{
    private const int BlockSize = 16;
    private const int Interleave = 8;

    private const int Lanes = 8;

    private readonly Vector128<byte>[] _roundKeys;
    private readonly int _rounds;
    private readonly Vector128<byte> _firstKeystream;

    // Where idle lanes of EncryptMany write (at least as long as the longest datagram seen); grown, never shrunk.
    private byte[] _scratch = [];

    public AesNiCfbCipher(ReadOnlySpan<byte> key)
    {
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("AES-NI is not available.");
        }

        _roundKeys = ExpandKey(key);
        _rounds = _roundKeys.Length - 1;
        _firstKeystream = EncryptBlock(InitialVector);
    }

    public static bool IsSupported => X86Aes.IsSupported;

    private static Vector128<byte> InitialVector => Vector128.Create(CfbCipher.InitialVector);

    public override void Encrypt(Span<byte> data)
    {
        ref byte d = ref MemoryMarshal.GetReference(data);
        int length = data.Length;
        Vector128<byte> keystream = _firstKeystream;
        int offset = 0;
        for (; offset + BlockSize <= length; offset += BlockSize)
        {
            Vector128<byte> cipher = Vector128.LoadUnsafe(ref d, (nuint)offset) ^ keystream;
            cipher.StoreUnsafe(ref d, (nuint)offset);
            keystream = EncryptBlock(cipher);
        }

        XorTail(data[offset..], keystream);
    }

    public override void Decrypt(Span<byte> data)
    {
        ref byte d = ref MemoryMarshal.GetReference(data);
        int length = data.Length;
        Vector128<byte> previous = InitialVector; // the ciphertext block whose encryption is the next keystream
        int offset = 0;
        for (; offset + (Interleave * BlockSize) <= length; offset += Interleave * BlockSize)
        {
            DecryptEight(ref Unsafe.Add(ref d, offset), ref previous);
        }

        for (; offset + BlockSize <= length; offset += BlockSize)
        {
            Vector128<byte> cipher = Vector128.LoadUnsafe(ref d, (nuint)offset);
            (EncryptBlock(previous) ^ cipher).StoreUnsafe(ref d, (nuint)offset);
            previous = cipher;
        }

        XorTail(data[offset..], EncryptBlock(previous));
    }

    /// <summary>
    /// Every datagram's CFB chain is serial, so a lane scheduler runs eight datagrams at once: each step encrypts one
    /// block of each lane, eight independent AESENC chains in flight. A lane that reaches its datagram's last full block
    /// finishes the partial tail and takes the next datagram; lanes with nothing left run on a scratch buffer (their
    /// work costs little: the step is bound by AESENC latency, not throughput).
    /// </summary>
    public override unsafe void EncryptMany(Span<byte> slab, int slotSize, ReadOnlySpan<int> lengths)
    {
        if (lengths.Length < 2)
        {
            base.EncryptMany(slab, slotSize, lengths);
            return;
        }

        int longest = 0;
        foreach (int length in lengths)
        {
            longest = Math.Max(longest, length);
        }

        if (_scratch.Length < longest)
        {
            _scratch = GC.AllocateUninitializedArray<byte>(Math.Max(longest, 2048), pinned: true);
        }

        Vector128<byte> first = _firstKeystream;
        LaneState lanes = default;
        fixed (byte* slabStart = slab)
        {
            byte* scratch = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_scratch));
            int next = 0;
            int busy = 0;
            for (int lane = 0; lane < Lanes; lane++)
            {
                busy += Assign(lane, ref lanes, ref next, lengths, slabStart, slotSize, first) ? 1 : 0;
            }

            while (busy > 0)
            {
                int steps = int.MaxValue;
                for (int lane = 0; lane < Lanes; lane++)
                {
                    if (lanes.Blocks[lane] > 0)
                    {
                        steps = Math.Min(steps, lanes.Blocks[lane]);
                    }
                    else
                    {
                        lanes.Pointers[lane] = (nint)scratch;
                    }
                }

                EncryptSteps(ref lanes, steps);
                for (int lane = 0; lane < Lanes; lane++)
                {
                    if (lanes.Blocks[lane] > 0 && (lanes.Blocks[lane] -= steps) == 0)
                    {
                        XorTail((byte*)lanes.Pointers[lane], lanes.Tails[lane], lanes.Keystreams[lane]);
                        busy -= Assign(lane, ref lanes, ref next, lengths, slabStart, slotSize, first) ? 0 : 1;
                    }
                }
            }
        }
    }

    /// <summary>Gives the lane the next datagram that has a full block (shorter ones are done here); false = idle.</summary>
    private static unsafe bool Assign(int lane, ref LaneState lanes, ref int next, ReadOnlySpan<int> lengths, byte* slabStart, int slotSize, Vector128<byte> first)
    {
        while (next < lengths.Length)
        {
            int length = lengths[next];
            byte* start = slabStart + ((nint)next * slotSize);
            next++;
            if (length < BlockSize)
            {
                XorTail(start, length, first);
                continue;
            }

            lanes.Pointers[lane] = (nint)start;
            lanes.Blocks[lane] = length / BlockSize;
            lanes.Tails[lane] = length % BlockSize;
            lanes.Keystreams[lane] = first;
            return true;
        }

        lanes.Blocks[lane] = -1;
        return false;
    }

    /// <summary>
    /// <paramref name="steps"/> CFB steps on all eight lanes: C = P ^ keystream stored, next keystream = E(C).
    /// Advances the lane pointers.
    /// </summary>
    private unsafe void EncryptSteps(ref LaneState lanes, int steps)
    {
        ref LanePointers pointers = ref lanes.Pointers;
        ref LaneKeystreams keystreams = ref lanes.Keystreams;
        byte* p0 = (byte*)pointers[0], p1 = (byte*)pointers[1], p2 = (byte*)pointers[2], p3 = (byte*)pointers[3];
        byte* p4 = (byte*)pointers[4], p5 = (byte*)pointers[5], p6 = (byte*)pointers[6], p7 = (byte*)pointers[7];
        Vector128<byte> k0 = keystreams[0], k1 = keystreams[1], k2 = keystreams[2], k3 = keystreams[3];
        Vector128<byte> k4 = keystreams[4], k5 = keystreams[5], k6 = keystreams[6], k7 = keystreams[7];
        ref Vector128<byte> keys = ref MemoryMarshal.GetArrayDataReference(_roundKeys);
        int rounds = _rounds;
        for (int step = 0; step < steps; step++)
        {
            Vector128<byte> key = keys;
            Vector128<byte> c = Vector128.Load(p0) ^ k0;
            c.Store(p0);
            k0 = c ^ key;
            c = Vector128.Load(p1) ^ k1;
            c.Store(p1);
            k1 = c ^ key;
            c = Vector128.Load(p2) ^ k2;
            c.Store(p2);
            k2 = c ^ key;
            c = Vector128.Load(p3) ^ k3;
            c.Store(p3);
            k3 = c ^ key;
            c = Vector128.Load(p4) ^ k4;
            c.Store(p4);
            k4 = c ^ key;
            c = Vector128.Load(p5) ^ k5;
            c.Store(p5);
            k5 = c ^ key;
            c = Vector128.Load(p6) ^ k6;
            c.Store(p6);
            k6 = c ^ key;
            c = Vector128.Load(p7) ^ k7;
            c.Store(p7);
            k7 = c ^ key;
            for (int r = 1; r < rounds; r++)
            {
                key = Unsafe.Add(ref keys, r);
                k0 = X86Aes.Encrypt(k0, key);
                k1 = X86Aes.Encrypt(k1, key);
                k2 = X86Aes.Encrypt(k2, key);
                k3 = X86Aes.Encrypt(k3, key);
                k4 = X86Aes.Encrypt(k4, key);
                k5 = X86Aes.Encrypt(k5, key);
                k6 = X86Aes.Encrypt(k6, key);
                k7 = X86Aes.Encrypt(k7, key);
            }

            key = Unsafe.Add(ref keys, rounds);
            k0 = X86Aes.EncryptLast(k0, key);
            k1 = X86Aes.EncryptLast(k1, key);
            k2 = X86Aes.EncryptLast(k2, key);
            k3 = X86Aes.EncryptLast(k3, key);
            k4 = X86Aes.EncryptLast(k4, key);
            k5 = X86Aes.EncryptLast(k5, key);
            k6 = X86Aes.EncryptLast(k6, key);
            k7 = X86Aes.EncryptLast(k7, key);
            p0 += BlockSize;
            p1 += BlockSize;
            p2 += BlockSize;
            p3 += BlockSize;
            p4 += BlockSize;
            p5 += BlockSize;
            p6 += BlockSize;
            p7 += BlockSize;
        }

        pointers[0] = (nint)p0;
        pointers[1] = (nint)p1;
        pointers[2] = (nint)p2;
        pointers[3] = (nint)p3;
        pointers[4] = (nint)p4;
        pointers[5] = (nint)p5;
        pointers[6] = (nint)p6;
        pointers[7] = (nint)p7;
        keystreams[0] = k0;
        keystreams[1] = k1;
        keystreams[2] = k2;
        keystreams[3] = k3;
        keystreams[4] = k4;
        keystreams[5] = k5;
        keystreams[6] = k6;
        keystreams[7] = k7;
    }

    private static unsafe void XorTail(byte* tail, int length, Vector128<byte> keystream)
    {
        for (int i = 0; i < length; i++)
        {
            tail[i] ^= keystream.GetElement(i);
        }
    }

    /// <summary>The lanes of <see cref="EncryptMany"/>: where each is, how many full blocks are left (-1 = idle), the
    /// length of its datagram's partial tail and its next keystream block.</summary>
    private struct LaneState
    {
        public LanePointers Pointers;
        public LaneInts Blocks;
        public LaneInts Tails;
        public LaneKeystreams Keystreams;
    }

    [InlineArray(Lanes)]
    private struct LanePointers
    {
        private nint _element;
    }

    [InlineArray(Lanes)]
    private struct LaneInts
    {
        private int _element;
    }

    /// <summary>One keystream register per lane of <see cref="EncryptMany"/>.</summary>
    [InlineArray(Lanes)]
    private struct LaneKeystreams
    {
        private Vector128<byte> _element;
    }

    /// <summary>
    /// Encrypts eight blocks in place with the expanded key <paramref name="keys"/>, round by round across the eight
    /// (AESENC's latency is several cycles, its throughput one or two a cycle, so independent blocks overlap almost for
    /// free). Shared by CFB decryption here and <see cref="AesNiBlock"/>'s multi-block encryption; inlined into both.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void EncryptEight(Vector128<byte>[] keys, ref Vector128<byte> b0, ref Vector128<byte> b1,
        ref Vector128<byte> b2, ref Vector128<byte> b3, ref Vector128<byte> b4, ref Vector128<byte> b5,
        ref Vector128<byte> b6, ref Vector128<byte> b7)
    {
        Vector128<byte> k = keys[0];
        b0 ^= k;
        b1 ^= k;
        b2 ^= k;
        b3 ^= k;
        b4 ^= k;
        b5 ^= k;
        b6 ^= k;
        b7 ^= k;
        int rounds = keys.Length - 1;
        for (int r = 1; r < rounds; r++)
        {
            k = keys[r];
            b0 = X86Aes.Encrypt(b0, k);
            b1 = X86Aes.Encrypt(b1, k);
            b2 = X86Aes.Encrypt(b2, k);
            b3 = X86Aes.Encrypt(b3, k);
            b4 = X86Aes.Encrypt(b4, k);
            b5 = X86Aes.Encrypt(b5, k);
            b6 = X86Aes.Encrypt(b6, k);
            b7 = X86Aes.Encrypt(b7, k);
        }

        k = keys[rounds];
        b0 = X86Aes.EncryptLast(b0, k);
        b1 = X86Aes.EncryptLast(b1, k);
        b2 = X86Aes.EncryptLast(b2, k);
        b3 = X86Aes.EncryptLast(b3, k);
        b4 = X86Aes.EncryptLast(b4, k);
        b5 = X86Aes.EncryptLast(b5, k);
        b6 = X86Aes.EncryptLast(b6, k);
        b7 = X86Aes.EncryptLast(b7, k);
    }

    /// <summary>Eight blocks at <paramref name="d"/>: keystream_i = E(C_(i-1)), all eight encryptions interleaved.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void DecryptEight(ref byte d, ref Vector128<byte> previous)
    {
        Vector128<byte> c0 = Vector128.LoadUnsafe(ref d, 0);
        Vector128<byte> c1 = Vector128.LoadUnsafe(ref d, 16);
        Vector128<byte> c2 = Vector128.LoadUnsafe(ref d, 32);
        Vector128<byte> c3 = Vector128.LoadUnsafe(ref d, 48);
        Vector128<byte> c4 = Vector128.LoadUnsafe(ref d, 64);
        Vector128<byte> c5 = Vector128.LoadUnsafe(ref d, 80);
        Vector128<byte> c6 = Vector128.LoadUnsafe(ref d, 96);
        Vector128<byte> c7 = Vector128.LoadUnsafe(ref d, 112);

        Vector128<byte> e0 = previous, e1 = c0, e2 = c1, e3 = c2, e4 = c3, e5 = c4, e6 = c5, e7 = c6;
        EncryptEight(_roundKeys, ref e0, ref e1, ref e2, ref e3, ref e4, ref e5, ref e6, ref e7);
        (e0 ^ c0).StoreUnsafe(ref d, 0);
        (e1 ^ c1).StoreUnsafe(ref d, 16);
        (e2 ^ c2).StoreUnsafe(ref d, 32);
        (e3 ^ c3).StoreUnsafe(ref d, 48);
        (e4 ^ c4).StoreUnsafe(ref d, 64);
        (e5 ^ c5).StoreUnsafe(ref d, 80);
        (e6 ^ c6).StoreUnsafe(ref d, 96);
        (e7 ^ c7).StoreUnsafe(ref d, 112);
        previous = c7;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector128<byte> EncryptBlock(Vector128<byte> block)
    {
        Vector128<byte>[] keys = _roundKeys;
        int rounds = _rounds;
        block ^= keys[0];
        for (int r = 1; r < rounds; r++)
        {
            block = X86Aes.Encrypt(block, keys[r]);
        }

        return X86Aes.EncryptLast(block, keys[rounds]);
    }

    private static void XorTail(Span<byte> tail, Vector128<byte> keystream)
    {
        Span<byte> bytes = stackalloc byte[BlockSize];
        keystream.CopyTo(bytes);
        for (int i = 0; i < tail.Length; i++)
        {
            tail[i] ^= bytes[i];
        }
    }

    /// <summary>
    /// FIPS-197 key expansion for 16, 24 or 32-byte keys. SubWord uses AESENCLAST on a broadcast word (all four
    /// columns equal, so ShiftRows is a no-op and a zero round key leaves plain SubBytes).
    /// </summary>
    internal static Vector128<byte>[] ExpandKey(ReadOnlySpan<byte> key)
    {
        if (key.Length is not (16 or 24 or 32))
        {
            throw new ArgumentException("AES keys are 16, 24 or 32 bytes.", nameof(key));
        }

        int nk = key.Length / 4;
        int rounds = nk + 6;
        var words = new uint[4 * (rounds + 1)];
        for (int i = 0; i < nk; i++)
        {
            words[i] = BinaryPrimitives.ReadUInt32LittleEndian(key[(4 * i)..]);
        }

        uint rcon = 1;
        for (int i = nk; i < words.Length; i++)
        {
            uint temp = words[i - 1];
            if (i % nk == 0)
            {
                temp = SubWord((temp >> 8) | (temp << 24)) ^ rcon; // RotWord on little-endian bytes
                rcon = (rcon << 1) ^ ((rcon >> 7) * 0x11b);
            }
            else if (nk > 6 && i % nk == 4)
            {
                temp = SubWord(temp);
            }

            words[i] = words[i - nk] ^ temp;
        }

        var roundKeys = new Vector128<byte>[rounds + 1];
        for (int r = 0; r <= rounds; r++)
        {
            roundKeys[r] = Vector128.Create(words[4 * r], words[(4 * r) + 1], words[(4 * r) + 2], words[(4 * r) + 3]).AsByte();
        }

        return roundKeys;
    }

    private static uint SubWord(uint word) =>
        X86Aes.EncryptLast(Vector128.Create(word).AsByte(), Vector128<byte>.Zero).AsUInt32().ToScalar();
}
