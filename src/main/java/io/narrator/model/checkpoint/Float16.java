package io.narrator.model.checkpoint;

/** IEEE half precision and bfloat16 conversions (Java 17 has neither built in). */
public final class Float16 {
    private Float16() {}

    /** Half-precision bits → float, exactly (subnormals, infinities and NaN included). */
    public static float toFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0) {
            if (mant == 0) return Float.intBitsToFloat(sign);
            // subnormal: normalise
            int e = -1;
            do {
                mant <<= 1;
                e++;
            } while ((mant & 0x400) == 0);
            mant &= 0x3ff;
            return Float.intBitsToFloat(sign | ((127 - 15 - e) << 23) | (mant << 13));
        }
        if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    /** Float → half-precision bits, rounding to nearest even; overflow becomes infinity. */
    public static short fromFloat(float value) {
        int f = Float.floatToRawIntBits(value);
        int sign = (f >>> 16) & 0x8000;
        int exp = ((f >>> 23) & 0xff) - 127 + 15;
        int mant = f & 0x7fffff;
        if (((f >>> 23) & 0xff) == 0xff) return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 : 0)); // inf / NaN
        if (exp >= 0x1f) return (short) (sign | 0x7c00); // overflow
        if (exp <= 0) {
            if (exp < -10) return (short) sign; // underflow to zero
            mant |= 0x800000; // implicit leading 1
            int shift = 14 - exp;
            int half = mant >>> shift;
            int rem = mant & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (half & 1) == 1)) half++;
            return (short) (sign | half);
        }
        int half = sign | (exp << 10) | (mant >>> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) == 1)) half++; // may carry into the exponent: correct
        return (short) half;
    }

    /** Float → bfloat16 bits (the upper half of a float32), rounding to nearest even; NaN stays NaN, overflow becomes infinity. */
    public static short bf16FromFloat(float value) {
        int f = Float.floatToRawIntBits(value);
        if ((f & 0x7fffffff) > 0x7f800000) return (short) ((f >>> 16) | 0x40); // NaN: keep it a (quiet) NaN
        int rounding = 0x7fff + ((f >>> 16) & 1);
        return (short) ((f + rounding) >>> 16);
    }

    /** bfloat16 bits → float (the upper half of a float32). */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }
}
