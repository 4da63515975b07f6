<?php
// A Content-Length smaller than the body: the client must get exactly that many bytes.
header('Content-Length: 5');
echo "hello world\n";
