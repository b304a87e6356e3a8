# Datasets: read once (torchvision, the CIFAR-10 subset npz or synthetic XOR) into a tensor file.


rule data:
    output:
        RESULTS + "/data/{dataset}.safetensors",
    params:
        # data_root is read in the shell command, not a param: moving the data folder does not
        # change the (checksum-verified) dataset, so it must not re-run the pipeline.
        code=code_version("data"),
    log:
        RESULTS + "/logs/data/{dataset}.log",
    conda:
        ENV
    shell:
        "lth data --dataset {wildcards.dataset} --root {config[data_root]:q} --out {output} > {log} 2>&1"
