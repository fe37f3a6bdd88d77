using Translator.Guest;

namespace Translator.Guest.Tests;

/// <summary>
/// Structs, pointers and refs, run both as .NET code and as a guest image over the same inputs (as
/// <see cref="IntegerSemantics"/> does for the integer operators): layouts and sizes, copies, by-value and by-ref
/// passing, explicit layouts, fixed buffers, pointer arithmetic and comparison. No result depends on an absolute
/// address, which differs between the two (and a pointer is 4 bytes in the guest, 8 on a 64-bit host).
/// </summary>
[GuestKernel]
public static unsafe partial class StructSemantics
{
    public const int Cases = 40;
    public const int Operations = 33;

    /// <summary>Pairs of operands, patched into the image by the test before boot.</summary>
    [InImage]
    private static readonly ulong[] Inputs = new ulong[Cases * 2];

    private static Rect s_rect;
    private static Overlay s_overlay;
    private static readonly Point[] s_points = new Point[5];
    private static readonly Rect[] s_rects = new Rect[3];
    private static readonly Counter[] s_counters = new Counter[2];

    [Entry]
    private static void Run()
    {
        for (int i = 0; i < Cases; i++)
        {
            ulong a = Inputs[i * 2];
            ulong b = Inputs[i * 2 + 1];
            for (int op = 0; op < Operations; op++)
            {
                Console.WriteHex(Evaluate(op, a, b));
                Console.Write('\n');
            }
        }

        Machine.Exit(0);
    }

    private static ulong Pack(int high, int low) => ((ulong)(uint)high << 32) | (uint)low;

    private static Point MakePoint(int x, int y)
    {
        Point p;
        p.X = x;
        p.Y = y;
        return p;
    }

    private static int Bump(Point p)
    {
        p.X += 100;
        return p.X + p.Y;
    }

    private static Point Add(Point p, Point q, int k) => MakePoint(p.X + q.X * k, p.Y - q.Y);

    private static void Swap(ref int x, ref int y)
    {
        int t = x;
        x = y;
        y = t;
    }

    private static void DivMod(uint x, uint y, out uint quotient, out uint remainder)
    {
        quotient = y == 0 ? 0 : x / y;
        remainder = y == 0 ? x : x % y;
    }

    private static ref int YOf(int i) => ref s_points[i].Y;

    private static long Sum(in Point p) => (long)p.X + p.Y;

    private static void Scale(Point* p, int k)
    {
        p->X *= k;
        (*p).Y <<= k & 7;
    }

    private static ulong Bytes(byte* p, int count)
    {
        ulong hash = 0;
        for (int i = 0; i < count; i++)
        {
            hash = hash * 31 + p[i];
        }

        return hash;
    }

    private static GdtEntry Descriptor(uint baseAddress, uint limit, byte access)
    {
        GdtEntry e = default;
        e.LimitLow = (ushort)limit;
        e.BaseLow = (ushort)baseAddress;
        e.BaseMiddle = (byte)(baseAddress >> 16);
        e.Access = access;
        e.Granularity = (byte)(0xC0 | ((limit >> 16) & 0x0F));
        e.BaseHigh = (byte)(baseAddress >> 24);
        return e;
    }

    public static ulong Evaluate(int op, ulong a, ulong b)
    {
        int ia = (int)a, ib = (int)b;
        switch (op)
        {
            case 0: return (ulong)(sizeof(Point) + sizeof(Rect) * 100 + sizeof(Mixed) * 10_000) + (ulong)sizeof(Overlay) * 1_000_000
                    + (ulong)sizeof(Packed) * 100_000_000 + (ulong)sizeof(Named) * 10_000_000_000 + (ulong)sizeof(GdtEntry) * 1_000_000_000_000;
            case 1:
            {
                Point p;
                p.X = ia;
                p.Y = ib;
                Point q = p;
                q.X++;
                return Pack(p.X, q.X) ^ (ulong)q.Y;
            }

            case 2:
            {
                Point r = MakePoint(ib, ia ^ 0x55);
                return Pack(r.X, r.Y);
            }

            case 3:
            {
                Point p = MakePoint(ia, ib);
                int sum = Bump(p);
                return Pack(p.X, sum);
            }

            case 4:
            {
                Rect r = default;
                r.TopLeft.X = ia;
                r.Size = MakePoint(ib, ia >> 3);
                r.Flags = (byte)b;
                Rect c = r;
                c.TopLeft.Y = 7;
                c.Size.X -= 1;
                return Pack(c.TopLeft.X + c.TopLeft.Y + r.TopLeft.Y, c.Size.X ^ r.Size.X ^ r.Size.Y) + c.Flags;
            }

            case 5:
            {
                s_rect = new Rect { Flags = (byte)(a >> 8) };
                s_rect.TopLeft = MakePoint(ia, ib);
                s_rect.Size.Y = s_rect.TopLeft.X * 3;
                Rect copy = s_rect;
                return Pack(copy.Size.Y, copy.TopLeft.Y + copy.Size.X) + copy.Flags;
            }

            case 6:
            {
                for (int i = 0; i < s_points.Length; i++)
                {
                    s_points[i].X = ia + i;
                    s_points[i].Y = ib * i;
                }

                Point t = s_points[1];
                s_points[1] = s_points[3];
                s_points[3] = t;
                ulong h = 0;
                foreach (Point p in s_points)
                {
                    h = h * 1_000_003 + (uint)p.X + ((ulong)(uint)p.Y << 20);
                }

                return h;
            }

            case 7:
            {
                Overlay o = default;
                o.Whole = a;
                return Pack((int)(o.Low ^ o.High), o.Middle) ^ ((ulong)o.Top << 56);
            }

            case 8:
            {
                s_overlay.Whole = b;
                s_overlay.Low = (uint)a;
                s_overlay.Middle = (ushort)(b >> 48);
                s_overlay.Top ^= 0xA5;
                return s_overlay.Whole;
            }

            case 9:
            {
                Packed k = default;
                k.Tag = (byte)a;
                k.Value = (uint)b;
                k.Extra = (ushort)(a >> 16);
                return Bytes((byte*)&k, sizeof(Packed));
            }

            case 10:
            {
                Mixed m = default;
                m.B = (byte)b;
                m.L = (long)a;
                m.S = (short)(a >> 5);
                m.C = (char)b;
                m.F = a > b;
                m.U = (uint)(b >> 7);
                return Bytes((byte*)&m, sizeof(Mixed));
            }

            case 11:
            {
                Named n = default;
                n.Length = 11;
                for (int i = 0; i < 11; i++)
                {
                    n.Text[i] = (byte)(a >> (i * 5));
                }

                n.Words[2] = (ushort)b;
                n.Words[0] = (ushort)(n.Text[3] + n.Words[2]);
                return Bytes((byte*)&n, sizeof(Named));
            }

            case 12:
            {
                for (int i = 0; i < s_points.Length; i++)
                {
                    s_points[i] = MakePoint(ia * i, ib - i);
                }

                fixed (Point* p = s_points)
                {
                    Point* q = p + 3;
                    Point* last = &p[4];
                    long distance = last - p;
                    ulong flags = (q > p ? 1UL : 0) | (q < p ? 2UL : 0) | (q == p + 3 ? 4UL : 0) | (q != last ? 8UL : 0) | (p <= q ? 16UL : 0) | (q >= last ? 32UL : 0);
                    return Pack(q->X + (q - 1)->Y + p[1].X, (int)(distance * 100)) ^ (flags << 8) ^ (ulong)(*(p + 2)).Y;
                }
            }

            case 13:
            {
                for (int i = 0; i < s_points.Length; i++)
                {
                    s_points[i] = MakePoint(ia + i, ib ^ i);
                }

                fixed (Point* p = s_points)
                {
                    ulong address = (ulong)p;
                    Point* second = (Point*)(address + (ulong)sizeof(Point));
                    int* y = (int*)((byte*)p + 4);
                    uint difference = (uint)second - (uint)p;
                    return Pack(second->X, *y) + difference;
                }
            }

            case 14:
            {
                for (int i = 0; i < s_points.Length; i++)
                {
                    s_points[i] = MakePoint(ia >> i, ib << i);
                }

                fixed (Point* start = s_points)
                {
                    long sum = 0;
                    Point* p = start;
                    Point* end = start + s_points.Length;
                    while (p < end)
                    {
                        sum = sum * 7 + (*p++).X;
                    }

                    p--;
                    --p;
                    p -= 1;
                    p += 2;
                    return (ulong)sum ^ (ulong)(uint)p->Y;
                }
            }

            case 15:
            {
                int x = ia, y = ib;
                Swap(ref x, ref y);
                return Pack(x, y);
            }

            case 16:
            {
                DivMod((uint)a, (uint)b, out uint quotient, out uint remainder);
                return Pack((int)quotient, (int)remainder);
            }

            case 17:
            {
                s_points[2] = MakePoint(1, 2);
                ref Point pt = ref s_points[2];
                pt.X = ia;
                pt.Y += ib;
                ref int y = ref pt.Y;
                y ^= 0x1234;
                return Pack(s_points[2].X, s_points[2].Y);
            }

            case 18:
            {
                s_points[1] = MakePoint(5, 6);
                YOf(1) = ia;
                YOf(1) += 5;
                ref int r = ref YOf(1);
                r *= 3;
                return (ulong)(uint)s_points[1].Y + (ulong)(uint)s_points[1].X * 0x1_0000_0000;
            }

            case 19:
            {
                Point p = MakePoint(ia, ib);
                return (ulong)Sum(in p) ^ (ulong)Sum(MakePoint(ib, 3));
            }

            case 20:
            {
                ulong v = 0;
                ulong* pv = &v;
                *pv = a;
                *((uint*)pv + 1) ^= (uint)b;
                ((ushort*)pv)[1] = (ushort)(b >> 3);
                return v;
            }

            case 21:
            {
                sbyte s = (sbyte)a;
                short w = (short)(a >> 8);
                sbyte* ps = &s;
                short* pw = &w;
                *ps = (sbyte)b;
                *pw = (short)(b >> 4);
                s++;
                int sum = s + w;
                return (ulong)(long)sum ^ ((ulong)(long)s << 32);
            }

            case 22:
            {
                GdtEntry e = Descriptor((uint)a, (uint)b & 0xFFFFF, (byte)(b >> 40));
                return *(ulong*)&e;
            }

            case 23:
            {
                Point p = MakePoint(ia, ib);
                Point q = MakePoint(ib, ia);
                Point c = a > b ? p : q;
                return Pack(c.X, c.Y);
            }

            case 24:
            {
                Node n1, n2, n3;
                n1.Value = ia;
                n2.Value = ib;
                n3.Value = ia ^ ib;
                n1.Next = &n2;
                n2.Next = &n3;
                n3.Next = null;
                long sum = 0;
                for (Node* n = &n1; n != null; n = n->Next)
                {
                    sum = sum * 3 + n->Value;
                }

                return (ulong)sum;
            }

            case 25:
            {
                Mixed m = default;
                m.L = (long)a;
                m.L += (long)b;
                m.L <<= ib & 15;
                m.S = (short)a;
                m.S *= 3;
                m.C = 'A';
                m.C++;
                m.B = (byte)b;
                m.B -= 7;
                return (ulong)m.L ^ (ulong)(long)m.S ^ ((ulong)m.C << 48) ^ ((ulong)m.B << 40);
            }

            case 26:
            {
                Point p = MakePoint(ia, ib);
                Point* pp = &p;
                pp->X += 5;
                pp->Y <<= 2;
                (*pp).X ^= ib;
                Scale(pp, ib);
                return Pack(p.X, p.Y);
            }

            case 27:
            {
                Point p = Add(MakePoint(ia, ib), MakePoint(ib, 9), ia & 7);
                p = Add(p, p, 2);
                return Pack(p.X, p.Y);
            }

            case 28:
            {
                for (int i = 0; i < s_rects.Length; i++)
                {
                    s_rects[i] = default;
                    s_rects[i].Size.X = ia * (i + 1);
                    s_rects[i].TopLeft = MakePoint(i, ib);
                    s_rects[i].Flags = (byte)(a >> i);
                }

                s_rects[0] = s_rects[2];
                ulong h = 0;
                for (int i = 0; i < s_rects.Length; i++)
                {
                    h = h * 1_000_003 + (uint)s_rects[i].Size.X + (uint)s_rects[i].TopLeft.Y + s_rects[i].Flags;
                }

                return h;
            }

            case 29:
            {
                Named n = default;
                byte* text = n.Text;
                for (int i = 0; i < 11; i++)
                {
                    *text++ = (byte)(b >> i);
                }

                ushort* words = n.Words;
                words[1] = (ushort)a;
                return Bytes(n.Text, 11) ^ ((ulong)n.Words[1] << 48);
            }

            case 30:
            {
                fixed (Overlay* o = &s_overlay)
                {
                    o->Whole = a;
                    byte* bytes = (byte*)o;
                    bytes[3] = (byte)b;
                    return o->Whole ^ o->High;
                }
            }

            case 31:
            {
                s_points[0] = MakePoint(ia, ib);
                ref Point first = ref s_points[0];
                Point before = first;
                first = MakePoint(ib, ia);
                return Pack(before.X - first.X, before.Y + first.Y);
            }

            case 32:
            {
                Counter c = default;
                c.Add(ia);
                c.Add(ib);
                c.Add(ia ^ ib);
                Counter d = c.Doubled();
                s_counters[1] = default;
                s_counters[1].Add(ib);
                ref Counter r = ref s_counters[1];
                r.Add(7);
                return (ulong)d.Total ^ (ulong)c.Average() ^ ((ulong)d.Count << 40) ^ ((ulong)s_counters[1].Average() << 20);
            }

            default: return 0;
        }
    }
}
