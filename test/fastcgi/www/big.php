<?php
// Streams n KiB without Content-Length, flushing as it goes.
header('Content-Type: application/octet-stream');
$line = str_repeat('x', 1023) . "\n";
$n = (int)($_GET['kib'] ?? 1024);
for ($i = 0; $i < $n; $i++) { echo $line; if ($i % 64 === 63) flush(); }
