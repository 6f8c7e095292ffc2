{ a }: a
