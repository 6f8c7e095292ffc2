{ a, b ? 2 }: { result = a + b; }
