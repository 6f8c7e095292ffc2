# Naive doubly-recursive Fibonacci: function calls, integer arithmetic and
# comparisons dominate. fib 27 = 196418.
let
  fib = n: if n < 2 then n else fib (n - 1) + fib (n - 2);
  r = fib 27;
in
assert r == 196418; r
