<?php
http_response_code(301);
header('Location: /moved');
echo "moved\n";
